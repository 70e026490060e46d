// Property-based hostile frames on the chat socket: text that is not JSON, JSON that is not an
// object, unknown types, known types with wrong, missing and extra fields, NUL and lone surrogates,
// texts over 2000 characters, deep nesting, binary frames and frames over 64 KiB. Each gets an
// `error` event, the socket stays open (only a flood is closed, with 1008), and nothing is written.
// Frames are paced under the flood limit (5/s, burst 20) by opening a fresh socket every few frames.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { createTestContext, type TestContext } from "../helpers/app";
import { SocketClient } from "../helpers/socket";
import {
  fcOptions,
  hostileJson,
  hostileKey,
  hostileNumber,
  hostileString,
  nestedJson,
  objectOf,
  PROPERTY_TIMEOUT,
  snapshot,
  viaJson,
} from "./support";

const ALICE = 5_580_000_000_001;
const BOB = 5_580_000_000_002;

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

/** A frame as sent: text or bytes. */
type Frame = { label: string; data: string | Uint8Array };

const text = (label: string, value: unknown): Frame => ({ label, data: JSON.stringify(value) });

const isJson = (raw: string) => {
  try {
    JSON.parse(raw);
    return true;
  } catch {
    return false;
  }
};

/** Values that are not a valid message text (the schema's or the 2000-character rule). */
const badText = fc.oneof(
  hostileJson.map(viaJson).filter((value) => typeof value !== "string"),
  fc.constantFrom("", " ", "\n\t ", "\u3000", "a\u0000b", "\ud800", "x\udfff", "😀\ud83d"),
  fc.tuple(fc.constantFrom("m", "é", "😀"), fc.integer({ min: 2001, max: 2500 })).map(([unit, n]) => unit.repeat(n)),
);

const badClientMsgId = fc.oneof(
  hostileJson.map(viaJson).filter((value) => typeof value !== "string" && value !== undefined),
  fc.constantFrom("", "\u0000", "\ud800", "c".repeat(65)),
);

const notAnId = hostileJson
  .map(viaJson)
  .filter((value) => !(typeof value === "number" && Number.isSafeInteger(value) && value >= 1));

const extras = fc.array(
  fc.tuple(
    hostileKey.filter((key) => !["type", "text", "client_msg_id", "is_typing", "up_to_id"].includes(key)),
    hostileJson,
  ),
  { maxLength: 3 },
);

const withExtras = (entries: Array<[string, unknown]>, more: Array<[string, unknown]>) =>
  objectOf([...more, ...entries]);

/** Frames above the 256 KiB hard limit are closed by the WebSocket layer; they have their own test. */
const underHardLimit = (frame: Frame) =>
  (typeof frame.data === "string" ? Buffer.byteLength(frame.data) : frame.data.byteLength) <= 200 * 1024;

const hostileFrames: fc.Arbitrary<Frame> = fc
  .oneof(
    // Not JSON.
    fc
      .oneof(hostileString, fc.string({ unit: "binary", maxLength: 100 }))
      .filter((raw) => raw.length <= 60_000 && !isJson(raw))
      .map((raw) => ({ label: `not JSON ${JSON.stringify(raw).slice(0, 60)}`, data: raw })),
    // JSON, but not an object.
    hostileJson
      .map(viaJson)
      .filter((value) => value === null || typeof value !== "object" || Array.isArray(value))
      .map((value) => text(`not an object ${JSON.stringify(value)?.slice(0, 60)}`, value)),
    // An unknown type, whatever it is.
    fc
      .tuple(
        hostileJson.filter((type) => !["message", "typing", "read", "ping"].includes(type as string)),
        extras,
      )
      .map(([type, more]) => text(`type ${JSON.stringify(type)?.slice(0, 60)}`, withExtras([["type", type]], more))),
    // message frames with a bad text or client_msg_id, or none.
    fc.tuple(badText, extras).map(([value, more]) =>
      text(
        `message text ${JSON.stringify(value)?.slice(0, 60)}`,
        withExtras(
          [
            ["type", "message"],
            ["text", value],
          ],
          more,
        ),
      ),
    ),
    fc.tuple(badClientMsgId, extras).map(([value, more]) =>
      text(
        `message client_msg_id ${JSON.stringify(value)?.slice(0, 60)}`,
        withExtras(
          [
            ["type", "message"],
            ["text", "hello"],
            ["client_msg_id", value],
          ],
          more,
        ),
      ),
    ),
    fc.constant(text("message without text", { type: "message" })),
    // typing frames whose is_typing is not a boolean.
    hostileJson
      .map(viaJson)
      .filter((value) => typeof value !== "boolean")
      .map((value) => text(`typing ${JSON.stringify(value)?.slice(0, 60)}`, { type: "typing", is_typing: value })),
    // read frames whose up_to_id is not a positive safe integer.
    notAnId.map((value) => text(`read ${JSON.stringify(value)?.slice(0, 60)}`, { type: "read", up_to_id: value })),
    fc
      .constantFrom("1e400", "-1", "0", "-0", "1.5", "9007199254740992", "NaN")
      .map((raw) => ({ label: `read up_to_id ${raw} (raw)`, data: `{"type":"read","up_to_id":${raw}}` })),
    hostileNumber
      .filter((n) => !(Number.isSafeInteger(n) && n >= 1))
      .map((n) => text(`read ${n}`, { type: "read", up_to_id: n })),
    // Deep nesting in every field.
    fc
      .tuple(fc.integer({ min: 33, max: 20_000 }), fc.constantFrom("array" as const, "object" as const))
      .chain(([depth, kind]) =>
        fc.constantFrom(
          { label: `text nested ${depth}`, data: `{"type":"message","text":${nestedJson(depth, kind)}}` },
          { label: `up_to_id nested ${depth}`, data: `{"type":"read","up_to_id":${nestedJson(depth, kind)}}` },
          { label: `type nested ${depth}`, data: `{"type":${nestedJson(depth, kind)}}` },
          { label: `frame nested ${depth}`, data: nestedJson(depth, kind) },
        ),
      ),
    // Binary frames.
    fc
      .uint8Array({ minLength: 1, maxLength: 256 })
      .map((bytes) => ({ label: `binary ${bytes.length} bytes`, data: bytes })),
    fc.constant({ label: "binary JSON ping", data: new TextEncoder().encode('{"type":"ping"}') }),
    // Frames over 64 KiB (the server's hard limit is higher; see the test below).
    fc
      .tuple(fc.integer({ min: 64 * 1024 + 1, max: 200 * 1024 }), fc.constantFrom("x", "é", "😀"))
      .map(([bytes, unit]) => ({
        label: `${bytes} bytes of message`,
        data: JSON.stringify({ type: "message", text: unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit))) }),
      })),
  )
  .filter(underHardLimit);

/** A socket used for a few frames, then replaced, so no socket nears the flood limit. */
class Pool {
  private client: SocketClient | null = null;
  private used = 0;

  async get(): Promise<SocketClient> {
    if (this.client === null || this.used >= 8 || this.client.ws.readyState !== WebSocket.OPEN) {
      this.client?.ws.close();
      this.client = await SocketClient.open(`${ws}/api/mystery/ws/chat/${matchId}/${ALICE}?token=${ctx.token(ALICE)}`);
      await this.client.next("connected");
      this.used = 0;
    }
    this.used++;
    return this.client;
  }

  close() {
    this.client?.ws.close();
  }
}

/**
 * Sends a frame, then a ping: the answer to the frame (sent before the handler's first await)
 * arrives before the pong. Returns the events in between, or throws if the socket closed.
 */
async function exchange(client: SocketClient, frame: Frame): Promise<any[]> {
  const start = client.events.length;
  const closed = client.closed.then((event) => {
    throw new Error(`socket closed ${event.code} ${event.reason} after ${frame.label}`);
  });
  const pong = client.next("pong");
  client.ws.send(frame.data as string | Uint8Array<ArrayBuffer>);
  client.ws.send(JSON.stringify({ type: "ping" }));
  await Promise.race([
    pong,
    closed,
    Bun.sleep(10_000).then(() => Promise.reject(new Error(`no pong after ${frame.label}`))),
  ]);
  return client.events.slice(start).filter((event) => event.type !== "pong");
}

describe("hostile frames get an error event; the socket stays open and nothing is written", () => {
  test(
    "random hostile frames",
    async () => {
      const pool = new Pool();
      try {
        await fc.assert(
          fc.asyncProperty(hostileFrames, async (frame) => {
            const client = await pool.get();
            const before = await snapshot(ctx);
            const answers = await exchange(client, frame);
            expect({ frame: frame.label, types: answers.map((event) => event.type) }).toEqual({
              frame: frame.label,
              types: ["error"],
            });
            const [error] = answers;
            expect(error).toEqual({
              type: "error",
              error: expect.stringMatching(/^[a-z_]+$/),
              message: expect.any(String),
              ...("client_msg_id" in error ? { client_msg_id: error.client_msg_id } : {}),
            });
            expect(error.error).not.toBe("internal_error");
            expect(await snapshot(ctx)).toEqual(before);
          }),
          fcOptions(ctx, 150),
        );
      } finally {
        pool.close();
      }
      const health = await ctx.request("GET", "/health");
      expect(health.status).toBe(200);
    },
    PROPERTY_TIMEOUT,
  );

  test(
    "arbitrary JSON frames are answered or processed, never close the socket, and never fail inside",
    async () => {
      const pool = new Pool();
      const frames = fc
        .oneof(
          hostileJson.map((value) => text(JSON.stringify(value)?.slice(0, 80) ?? "undefined", value)),
          fc
            .tuple(fc.constantFrom("message", "typing", "read", "ping"), extras)
            .map(([type, more]) => text(`${type} with extras`, withExtras([["type", type]], more))),
        )
        .filter(underHardLimit);
      try {
        await fc.assert(
          fc.asyncProperty(frames, async (frame) => {
            const client = await pool.get();
            const answers = await exchange(client, frame);
            for (const event of answers) expect(event.error).not.toBe("internal_error");
          }),
          fcOptions(ctx, 150),
        );
      } finally {
        pool.close();
      }
      const health = await ctx.request("GET", "/health");
      expect(health.status).toBe(200);
    },
    PROPERTY_TIMEOUT,
  );

  test("a frame over the hard limit (256 KiB) is closed by the WebSocket layer with 1009, and the server goes on", async () => {
    const client = await SocketClient.open(`${ws}/api/mystery/ws/chat/${matchId}/${ALICE}?token=${ctx.token(ALICE)}`);
    await client.next("connected");
    const before = await snapshot(ctx);
    client.ws.send(JSON.stringify({ type: "message", text: "x".repeat(300 * 1024) }));
    expect((await client.closed).code).toBe(1009);
    expect(await snapshot(ctx)).toEqual(before);
    const again = await SocketClient.open(`${ws}/api/mystery/ws/chat/${matchId}/${ALICE}?token=${ctx.token(ALICE)}`);
    again.send({ type: "ping" });
    expect(await again.next("pong")).toEqual({ type: "pong" });
    again.ws.close();
  });

  test("only a flood is closed: 1008 after the burst is spent, with error events before it", async () => {
    const client = await SocketClient.open(`${ws}/api/mystery/ws/chat/${matchId}/${ALICE}?token=${ctx.token(ALICE)}`);
    await client.next("connected");
    for (let i = 0; i < 100; i++) client.ws.send("not json");
    expect((await client.closed).code).toBe(1008);
    expect(client.count("error")).toBeGreaterThan(20);
  });
});
