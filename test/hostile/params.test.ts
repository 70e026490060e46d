// Property-based hostile path ids and query strings for every route that takes them (user and
// operator routes, and the socket's upgrade): non-canonical numbers (" 1", "+1", "0x1", "1e0",
// "1.0", 2^53, -0), NaN and Infinity as text, SQL and HTML, NUL, undecodable percent escapes, and
// well-formed ids that are not the caller's. Each gets a 4xx with the error body and writes nothing;
// no id is ever read as some other number.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ADMIN_TOKEN, createTestContext, type TestContext } from "../helpers/app";
import {
  expectHealthy,
  fcOptions,
  hostileParam,
  isCanonicalId,
  mustReject,
  nonCanonicalIds,
  PROPERTY_TIMEOUT,
  upgradeReply,
} from "./support";

const CALLER = 5_560_000_000_001;
const PARTNER = 5_560_000_000_002;
const STRANGER = 5_560_000_000_003;
const STRANGER_2 = 5_560_000_000_004;

let ctx: TestContext;
let base: { ws: string; http: string };
let matchId: number;
let otherMatchId: number;
let reportId: number;

beforeAll(async () => {
  ctx = await createTestContext();
  base = ctx.listen();
  await ctx.addUsers({ id: CALLER }, { id: PARTNER }, { id: STRANGER }, { id: STRANGER_2 });
  matchId = await ctx.addMatch(CALLER, PARTNER);
  otherMatchId = await ctx.addMatch(STRANGER, STRANGER_2);
  const sent = await ctx.request("POST", "/api/mystery/send-message", {
    as: PARTNER,
    body: { match_id: matchId, message_text: "hello there" },
  });
  expect(sent.status).toBe(200);
  const report = await ctx.request("POST", "/api/mystery/report", {
    as: STRANGER,
    body: { match_id: otherMatchId, content_type: "profile", reason: "fake" },
  });
  expect(report.status).toBe(200);
  reportId = report.body.report_id;
});
afterAll(() => ctx.close());

type Value = { raw: string; decoded: string | null };

/** A place in a route where an integer goes, and which decoded values the server may accept there. */
interface Slot {
  name: string;
  accepts: (decoded: string | null) => boolean;
  /** The value used while another slot is attacked. */
  valid: () => string;
}

interface ParamRoute {
  name: string;
  method: string;
  admin?: boolean;
  body?: () => unknown;
  slots: Slot[];
  /** Builds the URL from one raw value per slot, in slot order. */
  url: (values: string[]) => string;
}

const exactly = (value: () => number) => (decoded: string | null) => decoded === String(value());
const anyId = (decoded: string | null) => isCanonicalId(decoded);
const between = (min: number, max: number) => (decoded: string | null) =>
  decoded !== null && /^[1-9][0-9]{0,2}$/.test(decoded) && Number(decoded) >= min && Number(decoded) <= max;
const oneOf =
  (...values: string[]) =>
  (decoded: string | null) =>
    decoded !== null && values.includes(decoded);

const me: Slot = { name: "user_id", accepts: exactly(() => CALLER), valid: () => String(CALLER) };
const myMatch: Slot = { name: "match_id", accepts: exactly(() => matchId), valid: () => String(matchId) };
// Optional query values: an absent one is fine, so the attacked value is always present.
const query = (pairs: Array<[string, string]>) =>
  pairs.length === 0 ? "" : `?${pairs.map(([key, value]) => `${key}=${value}`).join("&")}`;

const ROUTES: ParamRoute[] = [
  { name: "GET /my-matches/{user_id}", method: "GET", slots: [me], url: ([id]) => `/api/mystery/my-matches/${id}` },
  { name: "GET /stats/{user_id}", method: "GET", slots: [me], url: ([id]) => `/api/mystery/stats/${id}` },
  {
    name: "GET /chat/{match_id}?user_id&before_id&limit",
    method: "GET",
    slots: [
      myMatch,
      me,
      { name: "before_id", accepts: anyId, valid: () => "1" },
      { name: "limit", accepts: between(1, 200), valid: () => "50" },
    ],
    url: ([match, user, before, limit]) =>
      `/api/mystery/chat/${match}${query([
        ["user_id", user!],
        ["before_id", before!],
        ["limit", limit!],
      ])}`,
  },
  {
    name: "POST /accept-secret-chat/{match_id}?user_id",
    method: "POST",
    // There is no pending request: even the right ids are a 404, so every value is refused.
    slots: [
      { ...myMatch, accepts: () => false },
      { ...me, accepts: () => false },
    ],
    url: ([match, user]) => `/api/mystery/accept-secret-chat/${match}${query([["user_id", user!]])}`,
  },
  {
    name: "POST /decline-secret-chat/{match_id}?user_id",
    method: "POST",
    slots: [
      { ...myMatch, accepts: () => false },
      { ...me, accepts: () => false },
    ],
    url: ([match, user]) => `/api/mystery/decline-secret-chat/${match}${query([["user_id", user!]])}`,
  },
  {
    name: "GET /chat/online-status/{match_id}/{user_id}",
    method: "GET",
    slots: [myMatch, me],
    url: ([match, user]) => `/api/mystery/chat/online-status/${match}/${user}`,
  },
  {
    name: "PUT /api/admin/users/{user_id}/premium",
    method: "PUT",
    admin: true,
    body: () => ({ until: null }),
    slots: [{ name: "user_id", accepts: anyId, valid: () => String(STRANGER) }],
    url: ([id]) => `/api/admin/users/${id}/premium`,
  },
  {
    name: "POST /api/admin/users/{user_id}/coins",
    method: "POST",
    admin: true,
    body: () => ({ amount: 1 }),
    slots: [{ name: "user_id", accepts: anyId, valid: () => String(STRANGER) }],
    url: ([id]) => `/api/admin/users/${id}/coins`,
  },
  {
    name: "POST /api/admin/users/{user_id}/ban",
    method: "POST",
    admin: true,
    body: () => ({ hours: 1, reason: "test" }),
    // An id without a user row is 404: only existing users are accepted.
    slots: [
      {
        name: "user_id",
        accepts: oneOf(...[CALLER, PARTNER, STRANGER, STRANGER_2].map(String)),
        valid: () => String(STRANGER),
      },
    ],
    url: ([id]) => `/api/admin/users/${id}/ban`,
  },
  {
    name: "DELETE /api/admin/users/{user_id}/ban",
    method: "DELETE",
    admin: true,
    slots: [
      {
        name: "user_id",
        accepts: oneOf(...[CALLER, PARTNER, STRANGER, STRANGER_2].map(String)),
        valid: () => String(STRANGER),
      },
    ],
    url: ([id]) => `/api/admin/users/${id}/ban`,
  },
  {
    name: "GET /api/admin/reports?status&limit&before_id",
    method: "GET",
    admin: true,
    slots: [
      { name: "status", accepts: oneOf("pending", "actioned", "dismissed"), valid: () => "pending" },
      { name: "limit", accepts: between(1, 200), valid: () => "10" },
      { name: "before_id", accepts: anyId, valid: () => "1000" },
    ],
    url: ([status, limit, before]) =>
      `/api/admin/reports${query([
        ["status", status!],
        ["limit", limit!],
        ["before_id", before!],
      ])}`,
  },
  {
    name: "POST /api/admin/reports/{report_id}/resolve",
    method: "POST",
    admin: true,
    body: () => ({ status: "dismissed" }),
    slots: [{ name: "report_id", accepts: exactly(() => reportId), valid: () => String(reportId) }],
    url: ([id]) => `/api/admin/reports/${id}/resolve`,
  },
];

/** One slot attacked with a value it must refuse, the others valid. */
function attacks(route: ParamRoute): fc.Arbitrary<{ slot: Slot; value: Value; url: string }> {
  const ids = [CALLER, PARTNER, matchId, otherMatchId, reportId, 1, 200];
  return fc.integer({ min: 0, max: route.slots.length - 1 }).chain((index) =>
    hostileParam(ids)
      .filter((value) => !route.slots[index]!.accepts(value.decoded))
      .map((value) => {
        const raws = route.slots.map((slot, i) => (i === index ? value.raw : encodeURIComponent(slot.valid())));
        return { slot: route.slots[index]!, value, url: route.url(raws) };
      }),
  );
}

const send = (route: ParamRoute, url: string) =>
  ctx.request(route.method, url, {
    ...(route.admin ? { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } } : { as: CALLER }),
    ...(route.body ? { body: route.body() } : {}),
  });

describe("hostile path ids and query values get a 4xx with the error body and change nothing", () => {
  for (const route of ROUTES) {
    test(
      route.name,
      async () => {
        await fc.assert(
          fc.asyncProperty(attacks(route), async ({ slot, value, url }) => {
            await mustReject(ctx, `${slot.name}=${value.raw.slice(0, 80)} (${url.slice(0, 120)})`, () =>
              send(route, url),
            );
          }),
          fcOptions(ctx, 80),
        );
        await expectHealthy(ctx);
      },
      PROPERTY_TIMEOUT,
    );
  }

  test("the valid URLs the properties start from are accepted (control)", async () => {
    for (const route of ROUTES) {
      if (route.name.includes("secret-chat")) continue;
      const url = route.url(route.slots.map((slot) => encodeURIComponent(slot.valid())));
      const reply = await send(route, url);
      expect([route.name, reply.status]).toEqual([route.name, 200]);
    }
  });
});

describe("the chat socket's upgrade refuses hostile path ids and query values over a real server", () => {
  const slots: Slot[] = [
    myMatch,
    me,
    { name: "since", accepts: (decoded) => decoded === "0" || isCanonicalId(decoded), valid: () => "0" },
  ];
  const url = ([match, user, since]: string[]) =>
    `${base.http}/api/mystery/ws/chat/${match}/${user}?token=${ctx.token(CALLER)}&since=${since}`;

  test(
    "every refused upgrade is a 4xx with the error body, and nothing is written",
    async () => {
      const ids = [CALLER, PARTNER, matchId, otherMatchId, 0, 1];
      const attack = fc.integer({ min: 0, max: slots.length - 1 }).chain((index) =>
        hostileParam(ids)
          .filter((value) => !slots[index]!.accepts(value.decoded))
          .map((value) => ({
            label: `${slots[index]!.name}=${value.raw.slice(0, 80)}`,
            url: url(slots.map((slot, i) => (i === index ? value.raw : encodeURIComponent(slot.valid())))),
          })),
      );
      await fc.assert(
        fc.asyncProperty(attack, async ({ label, url }) => {
          await mustReject(ctx, `socket ${label}`, () => upgradeReply(url));
        }),
        fcOptions(ctx, 80),
      );
      const health = await fetch(`${base.http}/health`);
      expect(health.status).toBe(200);
    },
    PROPERTY_TIMEOUT,
  );

  test("non-canonical spellings of valid ids are refused, never read as the id", async () => {
    for (const [index, slot] of slots.entries()) {
      for (const spelling of nonCanonicalIds(Number(slot.valid()) || 1).filter((text) => !slot.accepts(text))) {
        const values = slots.map((other, i) => encodeURIComponent(i === index ? spelling : other.valid()));
        await mustReject(ctx, `socket ${slot.name}=${JSON.stringify(spelling)}`, () => upgradeReply(url(values)));
      }
    }
  });
});

test(
  "every route: non-canonical spellings of valid ids are refused, never read as the id",
  async () => {
    for (const route of ROUTES) {
      for (const [index, slot] of route.slots.entries()) {
        for (const spelling of nonCanonicalIds(Number(slot.valid()) || 1).filter((text) => !slot.accepts(text))) {
          const values = route.slots.map((other, i) => encodeURIComponent(i === index ? spelling : other.valid()));
          await mustReject(ctx, `${route.name} ${slot.name}=${JSON.stringify(spelling)}`, () =>
            send(route, route.url(values)),
          );
        }
      }
    }
  },
  PROPERTY_TIMEOUT,
);
