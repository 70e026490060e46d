// One test per input the hostile-input properties found breaking the service, fixed since: each
// names the input and what it did before the fix.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { rows } from "../../src/db/client";
import { ADMIN_TOKEN, countRows, createTestContext, type TestContext } from "../helpers/app";
import { SocketClient } from "../helpers/socket";

const ALICE = 5_590_000_000_001;
const BOB = 5_590_000_000_002;

let ctx: TestContext;
let ws: string;
let matchId: number;

beforeAll(async () => {
  ctx = await createTestContext();
  ws = ctx.listen().ws;
  await ctx.addUsers({ id: ALICE }, { id: BOB });
  matchId = await ctx.addMatch(ALICE, BOB);
});
afterAll(() => ctx.close());

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const error = (code: string) => ({ success: false, error: code, message: expect.any(String) });
const invalid = (field: string) => ({
  ...error("validation_failed"),
  details: [{ field, message: expect.any(String) }],
});

async function userExists(id: number): Promise<boolean> {
  const found = await rows<{ id: number }>(ctx.db, sql`SELECT id FROM users WHERE id = ${id}`);
  return found.length > 0;
}

const openSocket = async () => {
  const client = await SocketClient.open(`${ws}/api/mystery/ws/chat/${matchId}/${ALICE}?token=${ctx.token(ALICE)}`);
  await client.next("connected");
  return client;
};

describe("JSON nested thousands of levels deep (was a 500, and a 30 s stall ending in out-of-memory)", () => {
  const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

  test.each([
    ["message_text", "POST", "/api/mystery/send-message", (deep: string) => `{"match_id":1,"message_text":${deep}}`],
    ["interests", "PUT", "/api/mystery/profile", (deep: string) => `{"gender":"male","age":30,"interests":${deep}}`],
    [
      "content_id (a union: its error was pretty-printed)",
      "POST",
      "/api/mystery/report",
      (deep: string) => `{"match_id":1,"content_type":"match","reason":"x","content_id":${deep}}`,
    ],
    ["an unknown field", "POST", "/api/mystery/send-message", (deep: string) => `{"x":${deep}}`],
  ])("in %s → 400 json_too_deep at once", async (_name, method, path, body) => {
    const started = Date.now();
    const reply = await ctx.request(method, path, { as: ALICE, body: body(nested(30_000)) });
    expect({ status: reply.status, body: reply.body }).toEqual({ status: 400, body: error("json_too_deep") });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test("32 levels are accepted, 33 are not", async () => {
    // The top-level object is the first level.
    const body = (depth: number) => `{"gender":"male","age":30,"extra":${nested(depth - 1)}}`;
    expect((await ctx.request("PUT", "/api/mystery/profile", { as: ALICE, body: body(32) })).status).toBe(200);
    expect((await ctx.request("PUT", "/api/mystery/profile", { as: ALICE, body: body(33) })).status).toBe(400);
  });

  test("brackets inside strings do not count", async () => {
    const reply = await ctx.request("PUT", "/api/mystery/profile", {
      as: ALICE,
      body: { gender: "male", age: 30, bio: "[".repeat(400), city: '{"\\' },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.profile.bio).toBe("[".repeat(400));
  });
});

describe('objects with an own "toString" key (was a 500: Elysia printed the value into its error)', () => {
  test.each([
    ["init_data", "/api/auth/telegram", { init_data: { toString: "" } }],
    ["init_data in an array", "/api/auth/telegram", { init_data: [{ toString: "" }] }],
    ["message_text", "/api/mystery/send-message", { match_id: 1, message_text: { toString: 1, valueOf: 1 } }],
  ])("%s → 422 naming the field", async (_name, path, body) => {
    const reply = await ctx.request("POST", path, { as: ALICE, body });
    expect({ status: reply.status, body: reply.body }).toEqual({
      status: 422,
      body: invalid(Object.keys(body).at(-1)!),
    });
  });

  test("as unknown fields they are ignored like any other", async () => {
    const reply = await ctx.request("PUT", "/api/mystery/profile", {
      as: ALICE,
      body: { gender: "female", age: 31, toString: "x", valueOf: { toString: 1 } },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.profile).toMatchObject({ gender: "female", age: 31 });
  });
});

describe("bytes that are not UTF-8 (were stored as U+FFFD, not as sent)", () => {
  test("a message with an 0xFF byte → 400 invalid_json, nothing stored", async () => {
    const before = await countRows(ctx.db, "messages");
    const bytes = Buffer.concat([
      Buffer.from(`{"match_id":${matchId},"message_text":"caf`),
      Buffer.from([0xe9, 0xff]),
      Buffer.from('"}'),
    ]);
    const response = await ctx.app.handle(
      new Request("http://localhost/api/mystery/send-message", {
        method: "POST",
        headers: { authorization: `Bearer ${ctx.token(ALICE)}`, "content-type": "application/json" },
        body: bytes,
      }),
    );
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 400,
      body: error("invalid_json"),
    });
    expect(await countRows(ctx.db, "messages")).toBe(before);
  });
});

describe('ids in paths and query strings are plain decimal (" 1", "0x1", "1e0", "1.0" were read as 1)', () => {
  test.each([
    ` ${ALICE}`,
    `+${ALICE}`,
    `0${ALICE}`,
    `${ALICE}.0`,
    `${ALICE}e0`,
    `0x${ALICE.toString(16)}`,
    `${ALICE}.0000000000000001`,
  ])("GET /stats/%p → 422", async (id) => {
    const reply = await ctx.request("GET", `/api/mystery/stats/${encodeURIComponent(id)}`, { as: ALICE });
    expect({ status: reply.status, body: reply.body }).toEqual({ status: 422, body: invalid("user_id") });
  });

  test("history with ?limit=1e1 or ?before_id=0x10 → 422", async () => {
    for (const [query, field] of [
      ["limit=1e1", "limit"],
      ["before_id=0x10", "before_id"],
    ]) {
      const reply = await ctx.request("GET", `/api/mystery/chat/${matchId}?${query}`, { as: ALICE });
      expect({ status: reply.status, body: reply.body }).toEqual({ status: 422, body: invalid(field!) });
    }
  });

  test("PUT /api/admin/users/0x10/premium no longer creates user 16", async () => {
    const reply = await ctx.request("PUT", "/api/admin/users/0x10/premium", { headers: admin, body: { until: null } });
    expect(reply.status).toBe(422);
    expect(await userExists(16)).toBe(false);
  });

  test("plain decimals still work (control)", async () => {
    expect((await ctx.request("GET", `/api/mystery/stats/${ALICE}`, { as: ALICE })).status).toBe(200);
    expect((await ctx.request("GET", `/api/mystery/chat/${matchId}?limit=10&before_id=5`, { as: ALICE })).status).toBe(
      200,
    );
  });
});

describe("POST /api/admin/users/{id}/coins with an id out of range (was a 500, or a row written before a 422)", () => {
  test.each(["0", "-5", "9007199254740992", "100000000000000000000"])("user %p → 422, no row", async (id) => {
    const before = await countRows(ctx.db, "users");
    const reply = await ctx.request("POST", `/api/admin/users/${id}/coins`, { headers: admin, body: { amount: 5 } });
    expect({ status: reply.status, body: reply.body }).toEqual({ status: 422, body: invalid("user_id") });
    expect(await countRows(ctx.db, "users")).toBe(before);
  });
});

describe("premium until a time outside 1970–9999 (was a 500 past 9999, and year 99 read back as 1999)", () => {
  test.each([
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "0099-12-31T00:00:00Z",
    "1969-12-31T23:59:59Z",
  ])("%p → 422", async (until) => {
    const reply = await ctx.request("PUT", `/api/admin/users/${BOB}/premium`, { headers: admin, body: { until } });
    expect({ status: reply.status, body: reply.body }).toEqual({ status: 422, body: invalid("until") });
  });

  test.each([
    ["9999-12-31T23:59:59Z", "9999-12-31T23:59:59.000Z"],
    ["1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000Z"],
  ])("%p is the edge, and reads back as itself", async (until, stored) => {
    const reply = await ctx.request("PUT", `/api/admin/users/${BOB}/premium`, { headers: admin, body: { until } });
    expect(reply.body).toEqual({ success: true, user_id: BOB, premium_until: stored });
  });
});

describe("lone surrogates in text (were stored as U+FFFD, not as acknowledged)", () => {
  test.each([
    ["message_text", "POST", "/api/mystery/send-message", { match_id: 0, message_text: "hi \ud800" }],
    [
      "client_msg_id",
      "POST",
      "/api/mystery/send-message",
      { match_id: 0, message_text: "hi", client_msg_id: "\udc00" },
    ],
    ["bio", "PUT", "/api/mystery/profile", { gender: "male", age: 30, bio: "a\udfffb" }],
    ["photo_url", "PUT", "/api/mystery/profile", { gender: "male", age: 30, photo_url: "https://x.example/\ud83d" }],
    ["reason", "POST", "/api/admin/users/5590000000002/ban", { hours: 1, reason: "\ud800" }],
  ])("in %s → 422, nothing written", async (field, method, path, body) => {
    const real = { ...body, ...("match_id" in body ? { match_id: matchId } : {}) };
    const before = await countRows(ctx.db, "messages");
    const reply = await ctx.request(
      method,
      path,
      path.startsWith("/api/admin") ? { headers: admin, body: real } : { as: ALICE, body: real },
    );
    expect({ status: reply.status, body: reply.body }).toEqual({ status: 422, body: invalid(field) });
    expect(await countRows(ctx.db, "messages")).toBe(before);
  });

  test("surrogate pairs (emoji) are text like any other (control)", async () => {
    const reply = await ctx.request("POST", "/api/mystery/send-message", {
      as: ALICE,
      body: { match_id: matchId, message_text: "hi 😀" },
    });
    expect(reply.status).toBe(200);
  });

  test("a socket message frame with a lone surrogate gets an error event", async () => {
    const client = await openSocket();
    client.send('{"type":"message","text":"\\ud800","client_msg_id":"s1"}');
    expect(await client.next("error")).toMatchObject({ error: "invalid_frame" });
    await client.close();
  });
});

describe("a socket frame whose type is an object or a deep array (threw outside any handler: Bun exits)", () => {
  test.each([
    ['{"type":{"toString":1}}', "Unknown frame type: an object"],
    ['{"type":[{"toString":1}]}', "Unknown frame type: an array"],
    [`{"type":${"[".repeat(20_000)}${"]".repeat(20_000)}}`, "Unknown frame type: an array"],
    [`{"type":"${"x".repeat(1000)}"}`, `Unknown frame type: ${"x".repeat(64)}…`],
  ])("%#: an error event, and the socket and the process go on", async (frame, message) => {
    const client = await openSocket();
    client.send(frame);
    expect(await client.next("error")).toEqual({ type: "error", error: "invalid_frame", message });
    client.send({ type: "ping" });
    expect(await client.next("pong")).toEqual({ type: "pong" });
    await client.close();
  });
});

describe("a socket frame over 64 KiB (closed the socket with 1009)", () => {
  test("gets a payload_too_large error event and the socket stays open", async () => {
    const client = await openSocket();
    const before = await countRows(ctx.db, "messages");
    client.send({ type: "message", text: "x".repeat(100 * 1024) });
    expect(await client.next("error")).toEqual({
      type: "error",
      error: "payload_too_large",
      message: "A frame must be at most 64 KiB",
    });
    client.send({ type: "ping" });
    expect(await client.next("pong")).toEqual({ type: "pong" });
    expect(await countRows(ctx.db, "messages")).toBe(before);
    await client.close();
  });
});
