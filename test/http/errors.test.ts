// The HTTP error contract: malformed JSON, body size limit, validation details, unknown fields,
// NUL characters, unknown routes and the service routes. Every rejected write must write nothing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MAX_BODY_BYTES } from "../../src/http/body";
import { countRows, createTestContext, type TestContext } from "../helpers/app";

let ctx: TestContext;
let matchId: number;

beforeAll(async () => {
  ctx = await createTestContext();
  await ctx.addUsers({ id: 1 }, { id: 2 });
  const found = await ctx.request("POST", "/api/mystery/find-match", { as: 1, body: {} });
  expect(found.status).toBe(200);
  matchId = found.body.match_id;
  const sent = await ctx.request("POST", "/api/mystery/send-message", {
    as: 1,
    body: { match_id: matchId, message_text: "first" },
  });
  expect(sent.status).toBe(200);
});
afterAll(() => ctx.close());

async function rowCounts() {
  return {
    users: await countRows(ctx.db, "users"),
    matches: await countRows(ctx.db, "matches"),
    messages: await countRows(ctx.db, "messages"),
  };
}

/** Runs a request that must be rejected and checks that no users/matches/messages row appeared. */
async function rejected(run: () => Promise<{ status: number; body: any }>) {
  const before = await rowCounts();
  const reply = await run();
  expect(await rowCounts()).toEqual(before);
  return reply;
}

const errorBody = (error: string) => ({ success: false, error, message: expect.any(String) });

function validationBody(fields: string[]) {
  return {
    success: false,
    error: "validation_failed",
    message: expect.any(String),
    details: fields.map((field) => ({ field, message: expect.any(String) })),
  };
}

/** The reply body with details sorted by field, so field order does not matter. */
function sortedDetails(body: any) {
  if (!Array.isArray(body?.details)) return body;
  return {
    ...body,
    details: [...body.details].sort((a: any, b: any) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0)),
  };
}

const PROFILE = { gender: "male", age: 30 };

describe("malformed JSON → 400 invalid_json", () => {
  const bodies = ["{bad", '{"gender":"male",', "[1,2", "undefined", "{'gender':'male'}", '{"a":1}}', "\u0000"];
  const routes: Array<[string, string]> = [
    ["PUT", "/api/mystery/profile"],
    ["POST", "/api/mystery/find-match"],
    ["POST", "/api/mystery/send-message"],
    ["POST", "/api/auth/telegram"],
  ];
  for (const [method, path] of routes) {
    test.each(bodies)(`${method} ${path} with %p`, async (body) => {
      const reply = await rejected(() => ctx.request(method, path, { as: 1, body }));
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual(errorBody("invalid_json"));
    });
  }

  test("a raw (unescaped) NUL byte inside a JSON string is malformed JSON", async () => {
    const reply = await rejected(() =>
      ctx.request("PUT", "/api/mystery/profile", { as: 1, body: `{"gender":"male","age":30,"city":"a\u0000b"}` }),
    );
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual(errorBody("invalid_json"));
  });

  test("a form-encoded body is read as JSON and refused", async () => {
    const reply = await rejected(() =>
      ctx.request("PUT", "/api/mystery/profile", {
        as: 1,
        body: "gender=male&age=30",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }),
    );
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual(errorBody("invalid_json"));
  });

  test("deeply nested JSON within the size limit is a 4xx, not a 5xx", async () => {
    const reply = await rejected(() =>
      ctx.request("PUT", "/api/mystery/profile", { as: 1, body: "[".repeat(30000) + "]".repeat(30000) }),
    );
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.status).toBeLessThan(500);
    expect(reply.body.success).toBe(false);
  });
});

describe("bodies over 64 KiB → 413 payload_too_large", () => {
  const oversized = JSON.stringify({ ...PROFILE, bio: "x".repeat(MAX_BODY_BYTES) });

  /** A valid profile body padded with whitespace to exactly `bytes` bytes. */
  function paddedProfile(bytes: number): string {
    const base = JSON.stringify({ ...PROFILE, city: "Padded" });
    return base + " ".repeat(bytes - base.length);
  }

  test("MAX_BODY_BYTES is 64 KiB", () => {
    expect(MAX_BODY_BYTES).toBe(65536);
  });

  test.each([
    ["PUT", "/api/mystery/profile"],
    ["POST", "/api/mystery/find-match"],
    ["POST", "/api/mystery/send-message"],
    ["POST", "/api/auth/telegram"],
  ])("%s %s with a content-length header", async (method, path) => {
    const reply = await rejected(() =>
      ctx.request(method, path, {
        as: 1,
        body: oversized,
        headers: { "content-length": String(Buffer.byteLength(oversized)) },
      }),
    );
    expect(reply.status).toBe(413);
    expect(reply.body).toEqual(errorBody("payload_too_large"));
  });

  test("a body of exactly 64 KiB is accepted", async () => {
    const body = paddedProfile(MAX_BODY_BYTES);
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
    const reply = await ctx.request("PUT", "/api/mystery/profile", {
      as: 1,
      body,
      headers: { "content-length": String(MAX_BODY_BYTES) },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.profile.city).toBe("Padded");
  });

  test("a body of 64 KiB + 1 byte is refused", async () => {
    const body = paddedProfile(MAX_BODY_BYTES + 1);
    const reply = await rejected(() =>
      ctx.request("PUT", "/api/mystery/profile", {
        as: 1,
        body,
        headers: { "content-length": String(MAX_BODY_BYTES + 1) },
      }),
    );
    expect(reply.status).toBe(413);
    expect(reply.body).toEqual(errorBody("payload_too_large"));
  });

  test("an oversized body is refused with 413 even without credentials", async () => {
    const reply = await rejected(() =>
      ctx.request("PUT", "/api/mystery/profile", {
        body: oversized,
        headers: { "content-length": String(Buffer.byteLength(oversized)) },
      }),
    );
    expect(reply.status).toBe(413);
    expect(reply.body).toEqual(errorBody("payload_too_large"));
  });

  test("a string body without a content-length header", async () => {
    const reply = await rejected(() => ctx.request("PUT", "/api/mystery/profile", { as: 1, body: oversized }));
    expect(reply.status).toBe(413);
    expect(reply.body).toEqual(errorBody("payload_too_large"));
  });

  test("a multi-byte body: the limit counts bytes, not characters", async () => {
    // 30 000 × "é" is 30 000 characters but 60 000 bytes of UTF-8, plus 30 000 × "€" (90 000 bytes).
    const body = JSON.stringify({ ...PROFILE, bio: "é".repeat(30000), city: "€".repeat(30000) });
    expect(body.length).toBeLessThan(MAX_BODY_BYTES);
    const reply = await rejected(() => ctx.request("PUT", "/api/mystery/profile", { as: 1, body }));
    expect(reply.status).toBe(413);
    expect(reply.body).toEqual(errorBody("payload_too_large"));
  });

  /** A chunked body (no content-length) that offers `total` bytes of JSON whitespace. */
  function streamBody(total: number) {
    const state = { pulled: 0 };
    const chunk = 16 * 1024;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (state.pulled >= total) {
          controller.close();
          return;
        }
        const size = Math.min(chunk, total - state.pulled);
        state.pulled += size;
        controller.enqueue(new Uint8Array(size).fill(0x20));
      },
    });
    return { stream, state };
  }

  async function sendStream(stream: ReadableStream<Uint8Array>) {
    const response = await ctx.app.handle(
      new Request("http://localhost/api/mystery/profile", {
        method: "PUT",
        body: stream,
        headers: { authorization: `Bearer ${ctx.token(1)}`, "content-type": "application/json" },
      }),
    );
    return { status: response.status, body: JSON.parse(await response.text()) };
  }

  test("a ReadableStream body without content-length", async () => {
    const { stream } = streamBody(MAX_BODY_BYTES + 1024);
    const reply = await rejected(() => sendStream(stream));
    expect(reply.status).toBe(413);
    expect(reply.body).toEqual(errorBody("payload_too_large"));
  });

  test("a huge streamed body is refused without reading it all into memory", async () => {
    const total = 16 * 1024 * 1024;
    const { stream, state } = streamBody(total);
    const reply = await rejected(() => sendStream(stream));
    expect(reply.status).toBe(413);
    expect(reply.body).toEqual(errorBody("payload_too_large"));
    // Some read-ahead is fine; reading all 16 MiB before refusing is not.
    expect(state.pulled).toBeLessThanOrEqual(1024 * 1024);
  });
});

describe("validation failures → 422 validation_failed naming each bad field", () => {
  const cases: Array<[string, string, string, unknown, string[]]> = [
    ["age 17 and gender robot", "PUT", "/api/mystery/profile", { gender: "robot", age: 17 }, ["age", "gender"]],
    ["missing gender and age", "PUT", "/api/mystery/profile", {}, ["age", "gender"]],
    ["an empty body", "PUT", "/api/mystery/profile", "", ["age", "gender"]],
    // Not an object: refused as a whole (Elysia would have validated it as {}).
    ["a JSON array body", "PUT", "/api/mystery/profile", [PROFILE], ["body"]],
    ["a JSON string body", "POST", "/api/mystery/find-match", '"message"', ["body"]],
    ["a JSON number body", "POST", "/api/mystery/find-match", "5", ["body"]],
    ["a JSON array body where every field is optional", "POST", "/api/mystery/find-match", "[]", ["body"]],
    ["a JSON null body", "PUT", "/api/mystery/profile", "null", ["body"]],
    ["age 101", "PUT", "/api/mystery/profile", { ...PROFILE, age: 101 }, ["age"]],
    ["age 30.5", "PUT", "/api/mystery/profile", { ...PROFILE, age: 30.5 }, ["age"]],
    ["age true", "PUT", "/api/mystery/profile", { ...PROFILE, age: true }, ["age"]],
    ["age null", "PUT", "/api/mystery/profile", { ...PROFILE, age: null }, ["age"]],
    ["gender 1", "PUT", "/api/mystery/profile", { ...PROFILE, gender: 1 }, ["gender"]],
    ["gender Male (case)", "PUT", "/api/mystery/profile", { ...PROFILE, gender: "Male" }, ["gender"]],
    [
      "every optional field out of range",
      "PUT",
      "/api/mystery/profile",
      {
        ...PROFILE,
        city: "c".repeat(101),
        bio: "b".repeat(501),
        interests: Array(11).fill("i"),
        photo_url: "http://insecure.example/p.jpg",
      },
      ["bio", "city", "interests", "photo_url"],
    ],
    ["interests not an array", "PUT", "/api/mystery/profile", { ...PROFILE, interests: "a,b" }, ["interests"]],
    [
      "an interest of 31 chars",
      "PUT",
      "/api/mystery/profile",
      { ...PROFILE, interests: ["i".repeat(31)] },
      ["interests.0"],
    ],
    ["an empty interest", "PUT", "/api/mystery/profile", { ...PROFILE, interests: ["ok", ""] }, ["interests.1"]],
    ["city a number", "PUT", "/api/mystery/profile", { ...PROFILE, city: 5 }, ["city"]],
    [
      "photo_url with spaces",
      "PUT",
      "/api/mystery/profile",
      { ...PROFILE, photo_url: "https://a b.example/x.jpg" },
      ["photo_url"],
    ],
    [
      "preferred ages out of range",
      "POST",
      "/api/mystery/find-match",
      { preferred_age_min: 17, preferred_age_max: 101 },
      ["preferred_age_max", "preferred_age_min"],
    ],
    ["preferred_gender robot", "POST", "/api/mystery/find-match", { preferred_gender: "robot" }, ["preferred_gender"]],
    ["user_id 0", "POST", "/api/mystery/find-match", { user_id: 0 }, ["user_id"]],
    ["preferred_city empty", "POST", "/api/mystery/find-match", { preferred_city: "" }, ["preferred_city"]],
    ["send-message with nothing", "POST", "/api/mystery/send-message", {}, ["match_id", "message_text"]],
    ["match_id 0", "POST", "/api/mystery/send-message", { match_id: 0, message_text: "hi" }, ["match_id"]],
    ["match_id -1", "POST", "/api/mystery/send-message", { match_id: -1, message_text: "hi" }, ["match_id"]],
    ["match_id 1.5", "POST", "/api/mystery/send-message", { match_id: 1.5, message_text: "hi" }, ["match_id"]],
    ["match_id 2^53", "POST", "/api/mystery/send-message", { match_id: 2 ** 53, message_text: "hi" }, ["match_id"]],
    ["match_id 1e300", "POST", "/api/mystery/send-message", { match_id: 1e300, message_text: "hi" }, ["match_id"]],
    ["message_text empty", "POST", "/api/mystery/send-message", { match_id: 1, message_text: "" }, ["message_text"]],
    ["message_text a number", "POST", "/api/mystery/send-message", { match_id: 1, message_text: 5 }, ["message_text"]],
    [
      "message_text only whitespace",
      "POST",
      "/api/mystery/send-message",
      { match_id: 1, message_text: " \n\t " },
      ["message_text"],
    ],
    [
      "message_text of 2001 characters",
      "POST",
      "/api/mystery/send-message",
      { match_id: 1, message_text: "m".repeat(2001) },
      ["message_text"],
    ],
    [
      "message_text of 2001 emoji",
      "POST",
      "/api/mystery/send-message",
      { match_id: 1, message_text: "😀".repeat(2001) },
      ["message_text"],
    ],
    [
      "client_msg_id of 65 chars",
      "POST",
      "/api/mystery/send-message",
      { match_id: 1, message_text: "hi", client_msg_id: "c".repeat(65) },
      ["client_msg_id"],
    ],
  ];

  test.each(cases)("%s", async (_name, method, path, body, fields) => {
    const reply = await rejected(() => ctx.request(method, path, { as: 1, body }));
    expect(reply.status).toBe(422);
    expect(sortedDetails(reply.body)).toEqual(validationBody(fields));
  });

  test("send-message validation failures store no message even on a real match", async () => {
    const reply = await rejected(() =>
      ctx.request("POST", "/api/mystery/send-message", { as: 1, body: { match_id: matchId, message_text: "   " } }),
    );
    expect(reply.status).toBe(422);
    expect(reply.body).toEqual(validationBody(["message_text"]));
  });

  test("message_text of exactly 2000 emoji is accepted (control)", async () => {
    const reply = await ctx.request("POST", "/api/mystery/send-message", {
      as: 1,
      body: { match_id: matchId, message_text: "😀".repeat(2000) },
    });
    expect(reply.status).toBe(200);
  });

  test.each([
    ["GET /stats/0", "/api/mystery/stats/0", ["user_id"]],
    ["GET /stats/2^53", "/api/mystery/stats/9007199254740992", ["user_id"]],
    ["GET /stats/abc", "/api/mystery/stats/abc", ["user_id"]],
    ["GET /my-matches/1.5", "/api/mystery/my-matches/1.5", ["user_id"]],
    ["GET /chat/0", "/api/mystery/chat/0", ["match_id"]],
    ["GET /chat/x", "/api/mystery/chat/x", ["match_id"]],
    ["limit=0", "/api/mystery/chat/1?limit=0", ["limit"]],
    ["limit=201", "/api/mystery/chat/1?limit=201", ["limit"]],
    ["limit=abc", "/api/mystery/chat/1?limit=abc", ["limit"]],
    ["before_id=0", "/api/mystery/chat/1?before_id=0", ["before_id"]],
    ["user_id=%00", "/api/mystery/chat/1?user_id=%00", ["user_id"]],
  ] as Array<[string, string, string[]]>)("path/query %s names the field", async (_name, path, fields) => {
    const reply = await ctx.request("GET", path, { as: 1 });
    expect(reply.status).toBe(422);
    expect(sortedDetails(reply.body)).toEqual(validationBody(fields));
  });

  test.each([
    ["age as a numeric string", "PUT", "/api/mystery/profile", { ...PROFILE, age: "30" }, ["age"]],
    ["age as a hex string", "PUT", "/api/mystery/profile", { ...PROFILE, age: "0x1E" }, ["age"]],
    ["match_id as a string", "POST", "/api/mystery/send-message", { match_id: "1", message_text: "hi" }, ["match_id"]],
  ] as Array<[string, string, string, unknown, string[]]>)(
    "JSON numbers only: %s",
    async (_name, method, path, body, fields) => {
      const reply = await rejected(() => ctx.request(method, path, { as: 1, body }));
      expect(reply.status).toBe(422);
      expect(sortedDetails(reply.body)).toEqual(validationBody(fields));
    },
  );
});

describe("unknown fields are ignored", () => {
  test("PUT profile with extra fields succeeds and cannot set account state", async () => {
    const reply = await ctx.request("PUT", "/api/mystery/profile", {
      as: 2,
      body: {
        gender: "female",
        age: 27,
        city: "Oslo",
        foo: 1,
        nested: { a: [1, 2, { b: null }] },
        user_id: 999,
        is_premium: true,
        premium_until: "2099-01-01T00:00:00.000Z",
        coins: 1_000_000,
        ban_until: null,
        photo: { url: "/api/mystery/photos/forged", width: 1, height: 1, placeholder: "x" },
        weird: "\u0000",
      },
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      success: true,
      profile: {
        user_id: 2,
        gender: "female",
        age: 27,
        city: "Oslo",
        bio: null,
        interests: [],
        photo_url: null,
        looking_for: ["male", "female", "other"],
        age_min: 18,
        age_max: 100,
        photo: null,
        is_premium: false,
        premium_until: null,
        coins: 0,
        is_banned: false,
        ban_until: null,
      },
    });
    expect(await countRows(ctx.db, "users")).toBe(2);
  });

  test("send-message with extra fields succeeds and is not secret", async () => {
    const reply = await ctx.request("POST", "/api/mystery/send-message", {
      as: 1,
      body: { match_id: matchId, message_text: "extra", is_secret: true, self_destruct_at: "2000-01-01", foo: [] },
    });
    expect(reply.status).toBe(200);
    const history = await ctx.request("GET", `/api/mystery/chat/${matchId}`, { as: 1 });
    const last = history.body.messages.at(-1);
    expect(last).toEqual({
      id: reply.body.message_id,
      is_me: true,
      message: "extra",
      timestamp: expect.any(String),
      is_secret: false,
      self_destruct_at: null,
    });
  });

  test("find-match with extra fields is not a validation failure", async () => {
    const reply = await ctx.request("POST", "/api/mystery/find-match", { as: 2, body: { foo: "bar", limit: 1000 } });
    expect(reply.status).not.toBe(422);
    expect(reply.status).toBeLessThan(500);
  });

  test("unknown query parameters are ignored", async () => {
    const reply = await ctx.request("GET", `/api/mystery/chat/${matchId}?foo=bar&limit=1`, { as: 1 });
    expect(reply.status).toBe(200);
    expect(reply.body.messages).toHaveLength(1);
  });
});

describe("NUL characters are 422, never 500", () => {
  const cases: Array<[string, string, string, unknown, string]> = [
    ["city", "PUT", "/api/mystery/profile", { ...PROFILE, city: "Ber\u0000lin" }, "city"],
    ["bio", "PUT", "/api/mystery/profile", { ...PROFILE, bio: "\u0000" }, "bio"],
    ["an interest", "PUT", "/api/mystery/profile", { ...PROFILE, interests: ["ok", "a\u0000"] }, "interests.1"],
    ["photo_url", "PUT", "/api/mystery/profile", { ...PROFILE, photo_url: "https://x.example/\u0000" }, "photo_url"],
    ["gender", "PUT", "/api/mystery/profile", { ...PROFILE, gender: "male\u0000" }, "gender"],
    ["preferred_city", "POST", "/api/mystery/find-match", { preferred_city: "Oslo\u0000" }, "preferred_city"],
    ["message_text", "POST", "/api/mystery/send-message", { match_id: 1, message_text: "hi\u0000" }, "message_text"],
    [
      "client_msg_id",
      "POST",
      "/api/mystery/send-message",
      { match_id: 1, message_text: "hi", client_msg_id: "\u0000" },
      "client_msg_id",
    ],
    ["init_data", "POST", "/api/auth/telegram", { init_data: "a\u0000b" }, "init_data"],
  ];

  test.each(cases)("in %s", async (_name, method, path, body, field) => {
    const reply = await rejected(() => ctx.request(method, path, { as: 1, body }));
    expect(reply.status).toBe(422);
    expect(reply.body).toEqual(validationBody([field]));
  });

  test("in message_text on a real match", async () => {
    const reply = await rejected(() =>
      ctx.request("POST", "/api/mystery/send-message", {
        as: 1,
        body: { match_id: matchId, message_text: "a\u0000b" },
      }),
    );
    expect(reply.status).toBe(422);
    expect(reply.body).toEqual(validationBody(["message_text"]));
  });
});

describe("routes", () => {
  test.each([
    ["GET", "/nope"],
    ["GET", "/api/mystery/nope"],
    ["POST", "/api/mystery/nope"],
    ["GET", "/api/mystery/profile/extra"],
    ["DELETE", "/api/mystery/profile"],
  ])("%s %s → 404 with the error body", async (method, path) => {
    const reply = await ctx.request(method, path, { as: 1, body: method === "GET" ? undefined : {} });
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual(errorBody("not_found"));
  });

  test("an unknown route without credentials is 404 too", async () => {
    const reply = await ctx.request("GET", "/definitely/not/here");
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual(errorBody("not_found"));
  });

  test("GET /health → 200", async () => {
    const reply = await ctx.request("GET", "/health");
    expect({ status: reply.status, body: reply.body }).toEqual({
      status: 200,
      body: { success: true, status: "ok", pid: process.pid, worker: null },
    });
  });

  test("GET /ready → 200 while the database is reachable", async () => {
    const reply = await ctx.request("GET", "/ready");
    expect({ status: reply.status, body: reply.body }).toEqual({
      status: 200,
      body: { success: true, status: "ready" },
    });
  });

  test("error replies are JSON", async () => {
    const reply = await ctx.request("GET", "/nope");
    expect(reply.headers.get("content-type")).toStartWith("application/json");
  });
});
