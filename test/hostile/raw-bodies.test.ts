// Property-based raw request bodies, sent over a real server socket to every route that reads a
// body: text that is not JSON, bytes that are not UTF-8, JSON nested thousands of levels deep, and
// bodies over the 64 KiB limit (with a Content-Length, and chunked without one). Each gets a 4xx
// with the error body, the server keeps answering, and nothing is written.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { MAX_BODY_BYTES } from "../../src/http/body";
import { ADMIN_TOKEN, createTestContext, type TestContext } from "../helpers/app";
import { fcOptions, mustReject, nestedJson, PROPERTY_TIMEOUT } from "./support";

const CALLER = 5_570_000_000_001;
const PARTNER = 5_570_000_000_002;

let ctx: TestContext;
let http: string;
let matchId: number;

beforeAll(async () => {
  ctx = await createTestContext();
  http = ctx.listen().http;
  await ctx.addUsers({ id: CALLER }, { id: PARTNER });
  matchId = await ctx.addMatch(CALLER, PARTNER);
});
afterAll(() => ctx.close());

interface Target {
  method: string;
  path: () => string;
  admin?: boolean;
}

/** Every route that reads a JSON body (and the three that take none but may be sent one). */
const TARGETS: Target[] = [
  { method: "PUT", path: () => "/api/mystery/profile" },
  { method: "POST", path: () => "/api/mystery/find-match" },
  { method: "POST", path: () => "/api/mystery/unmatch" },
  { method: "POST", path: () => "/api/mystery/extend-match" },
  { method: "POST", path: () => "/api/mystery/send-message" },
  { method: "POST", path: () => "/api/mystery/request-secret-chat" },
  { method: "POST", path: () => `/api/mystery/accept-secret-chat/${matchId}` },
  { method: "POST", path: () => `/api/mystery/decline-secret-chat/${matchId}` },
  { method: "POST", path: () => "/api/mystery/block" },
  { method: "POST", path: () => "/api/mystery/unblock" },
  { method: "POST", path: () => "/api/mystery/report" },
  { method: "POST", path: () => "/api/auth/telegram" },
  { method: "PUT", path: () => `/api/admin/users/${PARTNER}/premium`, admin: true },
  { method: "POST", path: () => `/api/admin/users/${PARTNER}/coins`, admin: true },
  { method: "POST", path: () => `/api/admin/users/${PARTNER}/ban`, admin: true },
  { method: "POST", path: () => "/api/admin/reports/1/resolve", admin: true },
];

const isJson = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** Raw bodies and how the server must answer them. */
type Raw = { label: string; bytes: Uint8Array; chunked?: boolean; expect: number | "4xx" };

const utf8 = (text: string) => new TextEncoder().encode(text);

const notJson: fc.Arbitrary<Raw> = fc
  .oneof(
    fc.string({ unit: "binary", minLength: 1, maxLength: 200 }),
    fc.constantFrom(
      "{",
      "}",
      "{bad",
      '{"a":}',
      '{"a":1,}',
      "[1,2",
      "{'a':1}",
      "NaN",
      "Infinity",
      "undefined",
      '{"a":01}',
      '{"a":.5}',
      '{"a":+1}',
      '{"a":0x10}',
      '{"a":"\\x41"}',
      '{"a":"\\ud800"',
      '{"a":"raw\ttab"}',
      '{"a":"raw\u0000nul"}',
      "\u0000",
      "\ufeff{}",
      "{}{}",
      "{} x",
      "/* c */ {}",
      "<xml/>",
      "a=1&b=2",
    ),
  )
  .filter((text) => text.trim() !== "" && !isJson(text))
  .map((text) => ({ label: `not JSON ${JSON.stringify(text).slice(0, 60)}`, bytes: utf8(text), expect: 400 }));

/** A body that would be valid but for bytes that are not UTF-8 inside a string (0xFF never is). */
const notUtf8: fc.Arbitrary<Raw> = fc
  .tuple(fc.uint8Array({ maxLength: 32 }), fc.constantFrom("message_text", "init_data", "reason", "city", "until"))
  .map(([bytes, field]) => {
    const before = utf8(`{"match_id":${matchId},"gender":"male","age":30,"${field}":"ok`);
    const after = utf8('"}');
    const bad = new Uint8Array([...bytes.map((b) => b | 0x80), 0xff]);
    return {
      label: `${field} with bytes ${Buffer.from(bad).toString("hex").slice(0, 40)}`,
      bytes: new Uint8Array([...before, ...bad, ...after]),
      expect: 400,
    };
  });

const deep: fc.Arbitrary<Raw> = fc
  .tuple(fc.integer({ min: 65, max: 32_000 }), fc.constantFrom("array" as const, "object" as const), fc.boolean())
  .map(([depth, kind, asField]) => {
    const nested = nestedJson(depth, kind);
    const text = asField ? `{"message_text":${nested},"init_data":${nested}}` : nested;
    return { label: `${kind} nested ${depth} deep${asField ? " in a field" : ""}`, bytes: utf8(text), expect: 400 };
  })
  .filter((raw) => raw.bytes.length <= MAX_BODY_BYTES);

const oversized: fc.Arbitrary<Raw> = fc
  .tuple(
    fc.integer({ min: MAX_BODY_BYTES + 1, max: 4 * MAX_BODY_BYTES }),
    fc.constantFrom("x", "é", "😀", " "),
    fc.boolean(),
  )
  .map(([bytes, unit, chunked]) => {
    const filler = unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit)));
    const text = unit === " " ? `{}${filler}` : JSON.stringify({ message_text: filler });
    return {
      label: `${Buffer.byteLength(text)} bytes of ${JSON.stringify(unit)}${chunked ? ", chunked" : ""}`,
      bytes: utf8(text),
      chunked,
      expect: 413,
    };
  });

function chunks(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + 8192));
      offset += 8192;
    },
  });
}

async function post(target: Target, raw: Raw) {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    authorization: target.admin ? `Bearer ${ADMIN_TOKEN}` : `Bearer ${ctx.token(CALLER)}`,
  };
  const response = await fetch(`${http}${target.path()}`, {
    method: target.method,
    headers,
    body: raw.chunked ? chunks(raw.bytes) : Buffer.from(raw.bytes),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, body };
}

async function serverAnswers() {
  const health = await fetch(`${http}/health`);
  expect(health.status).toBe(200);
}

describe("raw bodies over a real server", () => {
  test(
    "every route refuses text that is not JSON, nesting, oversized and non-UTF-8 bodies",
    async () => {
      const cases = fc.tuple(fc.constantFrom(...TARGETS), fc.oneof(notJson, notUtf8, deep, oversized));
      await fc.assert(
        fc.asyncProperty(cases, async ([target, raw]) => {
          const label = `${target.method} ${target.path()} ${raw.label}`;
          const reply = await mustReject(ctx, label, () => post(target, raw));
          if (typeof raw.expect === "number") expect([label, reply.status]).toEqual([label, raw.expect]);
        }),
        fcOptions(ctx, 200),
      );
      await serverAnswers();
    },
    PROPERTY_TIMEOUT,
  );

  test("a body of several MiB is refused with 413 and the server keeps answering", async () => {
    for (const chunked of [false, true]) {
      const raw: Raw = { label: "8 MiB", bytes: new Uint8Array(8 * 1024 * 1024).fill(0x20), chunked, expect: 413 };
      const reply = await mustReject(ctx, `8 MiB${chunked ? " chunked" : ""}`, () => post(TARGETS[4]!, raw));
      expect(reply.status).toBe(413);
    }
    await serverAnswers();
  });
});
