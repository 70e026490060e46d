// Property-based hostile JSON bodies for every route that takes one, user and operator routes alike:
// one field at a time gets a value its rule refuses (wrong type, out of range, too long, empty,
// NUL, lone surrogates, SQL and HTML), a required field goes missing, unknown and prototype-ish
// fields come along, numbers arrive as raw JSON text (1e400, 2^53+1, -0), duplicate keys end in a
// bad value, and the body is not an object at all. Every request must get a 4xx with the error
// body and leave every table exactly as it was.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ADMIN_TOKEN, createTestContext, type TestContext } from "../helpers/app";
import {
  expectHealthy,
  fcOptions,
  hostileJson,
  hostileKey,
  isWellFormed,
  mustReject,
  PROPERTY_TIMEOUT,
  viaJson,
} from "./support";

const CALLER = 5_550_000_000_001;
const PARTNER = 5_550_000_000_002;
const STRANGER = 5_550_000_000_003;
const STRANGER_2 = 5_550_000_000_004;

let ctx: TestContext;
let matchId: number;
let otherMatchId: number;
let partnerMessageId: number;
let reportId: number;

beforeAll(async () => {
  ctx = await createTestContext();
  await ctx.addUsers(
    { id: CALLER, coins: 1_000_000 },
    { id: PARTNER, gender: "male", age: 30 },
    { id: STRANGER, age: 40 },
    { id: STRANGER_2, age: 41 },
  );
  matchId = await ctx.addMatch(CALLER, PARTNER);
  otherMatchId = await ctx.addMatch(STRANGER, STRANGER_2);
  const sent = await ctx.request("POST", "/api/mystery/send-message", {
    as: PARTNER,
    body: { match_id: matchId, message_text: "the partner's words" },
  });
  expect(sent.status).toBe(200);
  partnerMessageId = sent.body.message_id;
  const report = await ctx.request("POST", "/api/mystery/report", {
    as: STRANGER,
    body: { match_id: otherMatchId, content_type: "profile", reason: "fake" },
  });
  expect(report.status).toBe(200);
  reportId = report.body.report_id;
});
afterAll(() => ctx.close());

// ---------------------------------------------------------------------------------------------
// Field rules, as the contract states them, used to keep only values the server must refuse.

type Rule =
  | { kind: "id"; accept: () => number[] }
  | { kind: "int"; min: number; max: number; except?: number[] }
  | { kind: "string"; min: number; max: number; codePoints?: number; notBlank?: boolean }
  | { kind: "enum"; values: string[] }
  | { kind: "url" }
  | { kind: "datetime" }
  | { kind: "interests" }
  | { kind: "content_id"; accept: () => number }
  | { kind: "never" }
  | { kind: "unverifiable" };

interface Field {
  rule: Rule;
  required?: boolean;
  nullable?: boolean;
  /** A value that passes, used for the fields not being attacked. */
  valid: () => unknown;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function textOk(value: unknown, rule: Extract<Rule, { kind: "string" }>): boolean {
  if (typeof value !== "string" || !isWellFormed(value) || value.includes("\u0000")) return false;
  if (value.length < rule.min || value.length > rule.max) return false;
  if (rule.codePoints !== undefined && [...value].length > rule.codePoints) return false;
  return !(rule.notBlank && value.trim() === "");
}

/** Whether the server may accept `value` for this field (undefined: the field is absent). */
function accepts(field: Field, value: unknown): boolean {
  if (value === undefined) return !field.required;
  if (value === null) return field.nullable === true;
  const rule = field.rule;
  switch (rule.kind) {
    case "id":
      return typeof value === "number" && rule.accept().includes(value);
    case "int":
      return (
        Number.isInteger(value) &&
        (value as number) >= rule.min &&
        (value as number) <= rule.max &&
        !rule.except?.includes(value as number)
      );
    case "string":
      return textOk(value, rule);
    case "enum":
      return typeof value === "string" && rule.values.includes(value);
    case "url":
      return (
        typeof value === "string" &&
        value.length <= 2048 &&
        isWellFormed(value) &&
        /^https:\/\/\S+$/.test(value) &&
        !value.includes("\u0000")
      );
    case "datetime":
      // Anything shaped like a date-time counts as possibly valid; the out-of-range ones are attacked separately.
      return typeof value === "string" && RFC3339.test(value);
    case "interests":
      return (
        Array.isArray(value) &&
        value.length <= 10 &&
        value.every((item) => textOk(item, { kind: "string", min: 1, max: 30 }))
      );
    case "content_id":
      // The message id as a JSON number, or as decimal digits (leading zeros too).
      return typeof value === "number"
        ? value === rule.accept()
        : typeof value === "string" && /^\d{1,64}$/.test(value) && Number(value) === rule.accept();
    case "never":
      return false;
    case "unverifiable":
      return false;
  }
}

interface BodyRoute {
  name: string;
  method: string;
  path: () => string;
  admin?: boolean;
  fields: Record<string, Field>;
  /** Bodies this route must refuse for a reason no single field shows. */
  extra?: () => fc.Arbitrary<Record<string, unknown>>;
}

const callerId: Field = { rule: { kind: "id", accept: () => [CALLER] }, valid: () => CALLER };
const myMatch: Field = { rule: { kind: "id", accept: () => [matchId] }, required: true, valid: () => matchId };
const optionalMyMatch: Field = { ...myMatch, required: false };
const never: Field = { rule: { kind: "never" }, valid: () => undefined };
const text = (min: number, max: number, extra: Partial<Extract<Rule, { kind: "string" }>> = {}): Rule => ({
  kind: "string",
  min,
  max,
  ...extra,
});

const whitespace = fc
  .array(fc.constantFrom(" ", "\t", "\n", "\r", "\u00a0", "\u2003", "\u3000", "\ufeff", "\u2028"), {
    minLength: 1,
    maxLength: 20,
  })
  .map((chars) => chars.join(""));

const validBody = (route: BodyRoute) =>
  Object.fromEntries(
    Object.entries(route.fields)
      .map(([name, field]) => [name, field.valid()] as const)
      .filter(([, value]) => value !== undefined),
  );

const ROUTES: BodyRoute[] = [
  {
    name: "PUT /api/mystery/profile",
    method: "PUT",
    path: () => "/api/mystery/profile",
    fields: {
      gender: { rule: { kind: "enum", values: ["male", "female", "other"] }, required: true, valid: () => "female" },
      age: { rule: { kind: "int", min: 18, max: 100 }, required: true, valid: () => 27 },
      city: { rule: text(0, 100), nullable: true, valid: () => "Oslo" },
      bio: { rule: text(0, 500), nullable: true, valid: () => "hello" },
      interests: { rule: { kind: "interests" }, valid: () => ["chess", "tea"] },
      photo_url: { rule: { kind: "url" }, nullable: true, valid: () => "https://img.example/p.jpg" },
      age_min: { rule: { kind: "int", min: 18, max: 100 }, valid: () => 18 },
      age_max: { rule: { kind: "int", min: 18, max: 100 }, valid: () => 100 },
    },
    extra: () =>
      fc
        .tuple(fc.integer({ min: 19, max: 100 }), fc.integer({ min: 18, max: 99 }))
        .filter(([min, max]) => min > max)
        .map(([min, max]) => ({ gender: "female", age: 27, age_min: min, age_max: max })),
  },
  {
    name: "POST /api/mystery/find-match",
    method: "POST",
    path: () => "/api/mystery/find-match",
    fields: {
      user_id: callerId,
      preferred_gender: {
        rule: { kind: "enum", values: ["male", "female", "other"] },
        nullable: true,
        valid: () => "male",
      },
      preferred_age_min: { rule: { kind: "int", min: 18, max: 100 }, valid: () => 18 },
      preferred_age_max: { rule: { kind: "int", min: 18, max: 100 }, valid: () => 100 },
      preferred_city: { rule: text(1, 100), nullable: true, valid: () => "Oslo" },
    },
    extra: () =>
      fc
        .tuple(fc.integer({ min: 19, max: 100 }), fc.integer({ min: 18, max: 99 }))
        .filter(([min, max]) => min > max)
        .map(([min, max]) => ({ preferred_age_min: min, preferred_age_max: max })),
  },
  {
    name: "POST /api/mystery/unmatch",
    method: "POST",
    path: () => "/api/mystery/unmatch",
    fields: {
      match_id: myMatch,
      user_id: callerId,
      reason: { rule: text(0, 500), nullable: true, valid: () => "bye" },
    },
  },
  {
    name: "POST /api/mystery/extend-match",
    method: "POST",
    path: () => "/api/mystery/extend-match",
    fields: { match_id: myMatch, user_id: callerId },
  },
  {
    name: "POST /api/mystery/send-message",
    method: "POST",
    path: () => "/api/mystery/send-message",
    fields: {
      match_id: myMatch,
      sender_id: callerId,
      message_text: { rule: text(1, 4000, { codePoints: 2000, notBlank: true }), required: true, valid: () => "hi" },
      client_msg_id: { rule: text(1, 64), valid: () => "c-1" },
    },
    extra: () =>
      fc.oneof(
        whitespace.map((message_text) => ({ match_id: matchId, message_text })),
        fc
          .tuple(fc.constantFrom("m", "é", "\u4e00", "😀"), fc.integer({ min: 2001, max: 2100 }))
          .map(([unit, n]) => ({ match_id: matchId, message_text: unit.repeat(n) })),
      ),
  },
  {
    name: "POST /api/mystery/request-secret-chat",
    method: "POST",
    path: () => "/api/mystery/request-secret-chat",
    fields: {
      match_id: myMatch,
      requester_id: callerId,
      duration_minutes: { rule: { kind: "int", min: 5, max: 60 }, required: true, valid: () => 15 },
    },
  },
  {
    name: "POST /api/mystery/block",
    method: "POST",
    path: () => "/api/mystery/block",
    fields: {
      user_id: callerId,
      match_id: optionalMyMatch,
      block_user_id: never,
      reason: { rule: text(0, 500), nullable: true, valid: () => "rude" },
    },
    extra: () =>
      fc.constantFrom<Record<string, unknown>>(
        {},
        { reason: "no target" },
        { block_user_id: CALLER },
        { block_user_id: PARTNER, match_id: matchId },
      ),
  },
  {
    name: "POST /api/mystery/unblock",
    method: "POST",
    path: () => "/api/mystery/unblock",
    fields: { user_id: callerId, match_id: optionalMyMatch, block_user_id: never },
    extra: () =>
      fc.constantFrom<Record<string, unknown>>(
        {},
        { block_user_id: CALLER },
        { block_user_id: PARTNER, match_id: matchId },
      ),
  },
  {
    name: "POST /api/mystery/report",
    method: "POST",
    path: () => "/api/mystery/report",
    fields: {
      reporter_id: callerId,
      match_id: optionalMyMatch,
      reported_user_id: never,
      content_type: {
        rule: { kind: "enum", values: ["message", "profile", "photo", "match"] },
        required: true,
        valid: () => "message",
      },
      content_id: { rule: { kind: "content_id", accept: () => partnerMessageId }, valid: () => partnerMessageId },
      reason: { rule: text(1, 1000, { notBlank: true }), required: true, valid: () => "spam" },
    },
    extra: () =>
      fc.oneof(
        whitespace.map((reason) => ({ match_id: matchId, content_type: "profile", reason })),
        fc.constantFrom<Record<string, unknown>>(
          { content_type: "profile", reason: "no target" },
          { reported_user_id: CALLER, content_type: "profile", reason: "myself" },
          { reported_user_id: PARTNER, match_id: matchId, content_type: "profile", reason: "both" },
          { match_id: matchId, content_type: "message", reason: "no content_id" },
          { reported_user_id: STRANGER, content_type: "profile", reason: "never matched" },
          { match_id: otherMatchId, content_type: "profile", reason: "not my match" },
        ),
      ),
  },
  {
    name: "POST /api/auth/telegram",
    method: "POST",
    path: () => "/api/auth/telegram",
    fields: { init_data: { rule: { kind: "unverifiable" }, required: true, valid: () => "user=%7B%7D&hash=00" } },
  },
  {
    name: "PUT /api/admin/users/{id}/premium",
    method: "PUT",
    admin: true,
    path: () => `/api/admin/users/${STRANGER}/premium`,
    fields: {
      until: { rule: { kind: "datetime" }, required: true, nullable: true, valid: () => "2099-01-01T00:00:00Z" },
    },
    extra: () =>
      fc
        .constantFrom(
          "0000-01-01T00:00:00Z",
          "0001-01-01T00:00:00+14:00",
          "0001-01-01T00:00:00Z",
          "0099-12-31T00:00:00Z",
          "1000-01-01T00:00:00Z",
          "9999-12-31T23:59:59-12:00",
          "9999-12-31T23:59:59-00:01",
          "2099-02-29T00:00:00Z",
          "2099-13-01T00:00:00Z",
          "2099-01-01T24:00:00Z",
          "2099-01-01T00:60:00Z",
          "2099-01-01T00:00:60Z",
          "2099-01-01T00:00:00+99:99",
          "2099-01-01T00:00:00+24:00",
        )
        .map((until) => ({ until })),
  },
  {
    name: "POST /api/admin/users/{id}/coins",
    method: "POST",
    admin: true,
    path: () => `/api/admin/users/${STRANGER}/coins`,
    fields: {
      amount: { rule: { kind: "int", min: -1_000_000, max: 1_000_000, except: [0] }, required: true, valid: () => 5 },
    },
  },
  {
    name: "POST /api/admin/users/{id}/ban",
    method: "POST",
    admin: true,
    path: () => `/api/admin/users/${STRANGER}/ban`,
    fields: {
      hours: { rule: { kind: "int", min: 1, max: 87_600 }, required: true, valid: () => 24 },
      reason: { rule: text(1, 500), required: true, valid: () => "abuse" },
    },
  },
  {
    name: "POST /api/admin/reports/{id}/resolve",
    method: "POST",
    admin: true,
    path: () => `/api/admin/reports/${reportId}/resolve`,
    fields: {
      status: { rule: { kind: "enum", values: ["actioned", "dismissed"] }, required: true, valid: () => "dismissed" },
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Bodies as JSON text: entries keep their order and duplicates; raw tokens replace markers.

type Entries = Array<[string, unknown]>;

interface HostileBody {
  label: string;
  text: string;
}

const RAW_NUMBERS = [
  "1e400",
  "-1e400",
  "9007199254740993",
  "9007199254740992",
  "18446744073709551616",
  "1.5",
  "-0",
  "0.0",
  "1e-400",
  "-1",
  "2.0000000000000001e1",
  // Not JSON at all: 400.
  "NaN",
  "Infinity",
  "-Infinity",
  "+1",
  "01",
  ".5",
  "1.",
  "0x10",
  "1_0",
  "undefined",
];

const MARKER = "\u0001raw\u0001";

function jsonText(entries: Entries, raw?: string): string {
  const body = `{${entries
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`)
    .join(",")}}`;
  return raw === undefined ? body : body.replace(JSON.stringify(MARKER), raw);
}

/** Whether a raw number token parses to something the field accepts (then it is not hostile). */
function rawAccepted(field: Field, token: string): boolean {
  try {
    return accepts(field, JSON.parse(token));
  } catch {
    return false;
  }
}

function hostileBodies(route: BodyRoute): fc.Arbitrary<HostileBody> {
  const names = Object.keys(route.fields);
  const base = (): Entries => Object.entries(validBody(route));
  const extras: fc.Arbitrary<Entries> = fc.array(
    fc.tuple(
      hostileKey.filter((key) => !names.includes(key)),
      hostileJson,
    ),
    { maxLength: 3 },
  );
  const withValue = (name: string, value: unknown): Entries => [
    ...base().filter(([key]) => key !== name),
    [name, value],
  ];

  const badValue = fc.constantFrom(...names).chain((name) =>
    hostileJson
      .map(viaJson)
      .filter((value) => value !== undefined && !accepts(route.fields[name]!, value))
      .map((value) => ({ name, value })),
  );

  const options: Array<fc.Arbitrary<HostileBody>> = [
    // One field with a value its rule refuses, plus unknown fields.
    fc.tuple(badValue, extras).map(([{ name, value }, more]) => ({
      label: `${name}=${JSON.stringify(value)?.slice(0, 80)}`,
      text: jsonText([...withValue(name, value), ...more]),
    })),
    // The same bad value as the last of two duplicate keys (JSON.parse keeps the last).
    badValue.map(({ name, value }) => ({
      label: `duplicate ${name}, last ${JSON.stringify(value)?.slice(0, 80)}`,
      text: jsonText([...base(), [name, value]]),
    })),
    // A number as raw JSON text the field cannot take.
    fc.constantFrom(...names).chain((name) =>
      fc
        .constantFrom(...RAW_NUMBERS)
        .filter((token) => !rawAccepted(route.fields[name]!, token))
        .map((token) => ({ label: `${name}=${token} (raw)`, text: jsonText(withValue(name, MARKER), token) })),
    ),
    // A body that is not an object.
    hostileJson
      .map(viaJson)
      .filter((value) => value === null || typeof value !== "object" || Array.isArray(value))
      .map((value) => ({ label: `body ${JSON.stringify(value)?.slice(0, 80)}`, text: JSON.stringify(value) })),
  ];
  const required = names.filter((name) => route.fields[name]!.required);
  if (required.length > 0) {
    options.push(
      fc.tuple(fc.subarray(required, { minLength: 1 }), extras).map(([missing, more]) => ({
        label: `without ${missing.join(", ")}`,
        text: jsonText([...base().filter(([key]) => !missing.includes(key)), ...more]),
      })),
    );
  }
  if (route.extra) {
    options.push(
      fc.tuple(route.extra(), extras).map(([body, more]) => ({
        label: JSON.stringify(body).slice(0, 120),
        text: jsonText([...Object.entries(body), ...more]),
      })),
    );
  }
  return fc.oneof(...options);
}

const send = (route: BodyRoute, text: string) =>
  ctx.request(route.method, route.path(), {
    body: text,
    ...(route.admin ? { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } } : { as: CALLER }),
  });

describe("hostile JSON bodies get a 4xx with the error body and change nothing", () => {
  for (const route of ROUTES) {
    test(
      route.name,
      async () => {
        await fc.assert(
          fc.asyncProperty(hostileBodies(route), async ({ label, text }) => {
            await mustReject(ctx, `${route.name} ${label}`, () => send(route, text));
          }),
          fcOptions(ctx, 100),
        );
        await expectHealthy(ctx);
      },
      PROPERTY_TIMEOUT,
    );
  }

  // Last, since it changes the fixture: a route that refused its own valid body would make its
  // property above pass without testing anything.
  test("the valid bodies the properties start from are accepted (control)", async () => {
    // Unmatch ends the match before block and unblock name it; telegram's valid body needs a fresh signature.
    const order = [
      "profile",
      "find-match",
      "send-message",
      "extend-match",
      "request-secret-chat",
      "report",
      "unmatch",
      "block",
      "unblock",
      "premium",
      "coins",
      "ban",
      "resolve",
    ];
    expect(order.length).toBe(ROUTES.length - 1);
    for (const name of order) {
      const route = ROUTES.find((candidate) => candidate.name.endsWith(`/${name}`))!;
      const reply = await send(route, JSON.stringify(validBody(route)));
      expect([route.name, reply.status]).toEqual([route.name, 200]);
    }
  });
});
