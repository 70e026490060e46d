// Shared pieces of the hostile-input tests: fast-check settings, hostile values, the database
// snapshot a rejected request must leave unchanged, and the contract's error body.
import { expect } from "bun:test";
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { rows } from "../../src/db/client";
import type { TestContext } from "../helpers/app";

/**
 * Runs per property: `defaultRuns` on PostgreSQL, a quarter of them on the embedded PGlite (a
 * request there costs several times more); FC_RUNS overrides both. FC_SEED (and FC_PATH) replay a
 * failure, whose seed and path fast-check prints in the error.
 */
export function fcOptions(ctx: TestContext, defaultRuns: number): fc.Parameters<any> {
  const seed = process.env.FC_SEED;
  const embedded = (ctx.config.databaseUrl as string | null) === null;
  return {
    numRuns: Number(process.env.FC_RUNS ?? (embedded ? Math.ceil(defaultRuns / 4) : defaultRuns)),
    ...(seed ? { seed: Number(seed), path: process.env.FC_PATH } : {}),
  };
}

/** A per-test timeout generous enough for a property of a few hundred requests. */
export const PROPERTY_TIMEOUT = 120_000;

// ---------------------------------------------------------------------------------------------
// Database snapshot

/** Every table a request could write to. */
export const TABLES = [
  "users",
  "matches",
  "messages",
  "blocks",
  "reports",
  "secret_chat_requests",
  "read_markers",
  "daily_match_counts",
] as const;

/** Row count and a digest of every row of every table: any insert, update or delete changes it. */
export async function snapshot(ctx: TestContext): Promise<Record<string, string>> {
  const query = TABLES.map(
    (table) =>
      `SELECT '${table}' AS name, count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS state FROM ${table} t`,
  ).join(" UNION ALL ");
  const result = await rows<{ name: string; state: string }>(ctx.db, sql.raw(query));
  return Object.fromEntries(result.map((row) => [row.name, row.state]));
}

// ---------------------------------------------------------------------------------------------
// Replies

const ERROR_CODE = /^[a-z][a-z_]*$/;

/** The contract's error body: `{success: false, error, message}`, plus `details` on a 422 only. */
export function expectErrorBody(status: number, body: unknown): void {
  expect(body).toBeObject();
  const reply = body as Record<string, unknown>;
  const allowed = status === 422 ? ["success", "error", "message", "details"] : ["success", "error", "message"];
  for (const key of Object.keys(reply)) expect(allowed).toContain(key);
  expect(reply.success).toBe(false);
  expect(reply.error).toBeString();
  expect(reply.error as string).toMatch(ERROR_CODE);
  expect(reply.message).toBeString();
  expect((reply.message as string).length).toBeGreaterThan(0);
  if (reply.details !== undefined) {
    expect(reply.details).toBeArray();
    for (const detail of reply.details as unknown[]) {
      expect(detail).toEqual({ field: expect.any(String), message: expect.any(String) });
    }
  }
}

/** A 4xx with the contract's error body; the status line is printed with the body on failure. */
export function expectRejected(reply: { status: number; body: unknown }, label = ""): void {
  const summary = `${label} → ${reply.status} ${JSON.stringify(reply.body)?.slice(0, 300)}`;
  if (reply.status < 400 || reply.status > 499) throw new Error(`expected a 4xx: ${summary}`);
  expectErrorBody(reply.status, reply.body);
}

/** The process still serves: /health and /ready answer 200. */
export async function expectHealthy(ctx: TestContext): Promise<void> {
  const health = await ctx.request("GET", "/health");
  expect(health.status).toBe(200);
  expect(health.body).toMatchObject({ success: true, status: "ok" });
  const ready = await ctx.request("GET", "/ready");
  expect(ready.status).toBe(200);
}

/**
 * Sends a request that must be rejected: a 4xx with the error body, and no table changed.
 * `send` returns the reply; `label` names the input in the failure message.
 */
export async function mustReject(
  ctx: TestContext,
  label: string,
  send: () => Promise<{ status: number; body: unknown }>,
): Promise<{ status: number; body: any }> {
  const before = await snapshot(ctx);
  const reply = await send();
  expectRejected(reply, label);
  const after = await snapshot(ctx);
  if (JSON.stringify(after) !== JSON.stringify(before)) {
    throw new Error(`a rejected request changed the database: ${label} → ${reply.status}`);
  }
  return reply as { status: number; body: any };
}

// ---------------------------------------------------------------------------------------------
// Hostile values

/** Strings chosen to break parsers, SQL, HTML, Unicode handling and length checks. */
export const NASTY_STRINGS = [
  "",
  " ",
  " \t\n\r ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff",
  "a\ud83db",
  "\udc00\ud800",
  "\ufeff",
  "\u202eevil",
  "\u200b",
  "\uffff",
  "🙂",
  "e\u0301",
  "null",
  "undefined",
  "true",
  "NaN",
  "Infinity",
  "-Infinity",
  "0",
  "-1",
  "1.5",
  "1e309",
  "9007199254740993",
  "0x1F",
  "1_000",
  "' OR '1'='1",
  "1; DROP TABLE users; --",
  "1) OR (1=1",
  '"; SELECT pg_sleep(5); --',
  "\\",
  '"',
  "%",
  "_",
  "%00",
  "%s%s%n",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as is.
  "${7*7}",
  "{{7*7}}",
  "<script>alert(1)</script>",
  "<img src=x onerror=alert(1)>",
  "&lt;&amp;",
  "../../etc/passwd",
  "\r\nSet-Cookie: x=y",
  "Mystery User",
  "male",
  "MALE",
  "message",
  "pending",
];

/** A string unit that includes lone surrogates, NUL and other control characters. */
const anyCodeUnit = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
  fc.constantFrom("\u0000", "\ud800", "\udbff", "\udc00", "\udfff", "'", '"', "\\", "<", ">", "&", "%", ";", "\n"),
);

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: anyCodeUnit, maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom("x", "é", "😀", " ", "\u0000", "<"), fc.integer({ min: 60, max: 70_000 }))
      .map(([unit, n]) => unit.repeat(n)),
  },
);

/** Numbers around every boundary the contract has: ids, ages, durations, coins, hours, limits. */
export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    0,
    -1,
    -0.5,
    0.5,
    1.5,
    17,
    101,
    4,
    61,
    201,
    87_601,
    1_000_001,
    -1_000_001,
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 53,
    2 ** 53 + 2,
    -(2 ** 53),
    1e300,
    -1e300,
    Number.MIN_VALUE,
    Number.EPSILON,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.maxSafeInteger(),
);

/** Keys that tempt prototype pollution, operators and escaping bugs. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "__proto__",
    "constructor",
    "prototype",
    "toString",
    "hasOwnProperty",
    "",
    "\u0000",
    "a.b",
    "$where",
    "$gt",
    "'; DROP TABLE users; --",
    "<b>",
    "is_premium",
    "coins",
    "ban_until",
    "is_secret",
    "self_destruct_at",
    "id",
  ),
  fc.string({ unit: anyCodeUnit, maxLength: 12 }),
);

/** An object with these own keys, "__proto__" included (an object literal would set the prototype). */
export function objectOf(entries: Array<[string, unknown]>): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return object;
}

/** Any JSON value, with hostile strings and numbers, nested a few levels. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    hostileString,
    hostileNumber,
    fc.constantFrom(true, false, null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.array(fc.tuple(hostileKey, tie("value")), { maxLength: 4 }).map(objectOf),
  ),
})).value;

/** A JSON value nested `depth` levels deep, as text. */
export function nestedJson(depth: number, kind: "array" | "object"): string {
  return kind === "array" ? "[".repeat(depth) + "]".repeat(depth) : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

/** What JSON makes of a value: NaN becomes null, -0 becomes 0, undefined entries vanish. */
export const viaJson = (value: unknown): unknown => {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
};

export const isWellFormed = (text: string) => text.isWellFormed();

// ---------------------------------------------------------------------------------------------
// Integers in paths and query strings

/**
 * Path and query strings that are not the canonical decimal form of a positive safe integer:
 * every one must be refused (422), never read as some other number.
 */
export function nonCanonicalIds(validId: number): string[] {
  const id = String(validId);
  return [
    ` ${id}`,
    `${id} `,
    `+${id}`,
    `0${id}`,
    `${id}.0`,
    `${id}.`,
    `${id}e0`,
    `0x${validId.toString(16)}`,
    `0b${validId.toString(2)}`,
    `0o${validId.toString(8)}`,
    validId.toExponential(),
    `${id}.0000000000000001`,
    `${id}\u0000`,
    `${id}%00`,
    `${id};`,
    `${id} OR 1=1`,
    `${id}'`,
    `-${id}`,
    "0",
    "-0",
    "00",
    "",
    "NaN",
    "Infinity",
    "-Infinity",
    "null",
    "undefined",
    "true",
    "[]",
    "{}",
    "9007199254740992",
    "9007199254740993",
    "1".repeat(400),
    "1e400",
    "１２３",
    "٣",
  ];
}

/** Hostile path or query values, each with the text the server decodes it to (null: undecodable). */
export const hostileParam: (validIds: number[]) => fc.Arbitrary<{ raw: string; decoded: string | null }> = (validIds) =>
  fc.oneof(
    fc.constantFrom(...validIds.flatMap(nonCanonicalIds)).map(encoded),
    hostileString.filter((text) => text.length < 3000).map(encoded),
    hostileNumber.map((n) => encoded(String(n))),
    fc
      .constantFrom("%", "%Z", "%ZZ", "%E0%A4%A", "%ED%A0%80", "%C0%80", "%FF", "%2F", "%2e%2e", "%uD800", "%%", "%0")
      .map((raw) => ({ raw, decoded: null })),
  );

function encoded(text: string): { raw: string; decoded: string } {
  // encodeURIComponent throws on lone surrogates (a URL cannot carry one); U+FFFD goes instead.
  try {
    return { raw: encodeURIComponent(text), decoded: text };
  } catch {
    return { raw: encodeURIComponent(text.toWellFormed()), decoded: text.toWellFormed() };
  }
}

/** Whether a decoded path/query value is the canonical decimal of a positive safe integer. */
export const isCanonicalId = (text: string | null) =>
  text !== null && /^[1-9][0-9]*$/.test(text) && Number.isSafeInteger(Number(text));

/**
 * Sends a WebSocket upgrade by hand and returns the HTTP status and body of a refusal. An upgrade
 * that is accepted (101) is returned as such at once, without waiting on the open socket.
 */
export async function upgradeReply(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    headers: {
      connection: "Upgrade",
      upgrade: "websocket",
      "sec-websocket-version": "13",
      "sec-websocket-key": btoa("0123456789abcdef"),
    },
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status === 101) {
    await response.body?.cancel().catch(() => {});
    return { status: 101, body: "(upgraded)" };
  }
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}
