// The authorization matrix: every route and the chat socket against every way a credential can be
// wrong (none, bad signature, expired, alg none, a sub that is not a positive integer, Telegram
// initData with a wrong hash, a stale auth_date or a bad user id), a valid user who is not in the
// match, a caller id that is not the caller, and a banned user. Each gets the contract's status and
// learns nothing: refusals of one kind are byte-for-byte the same reply whatever the cause, "no such
// match" and "not yours" cannot be told apart, and no reply carries the partner's id or a message.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { signToken } from "../../src/modules/auth/jwt";
import { signInitData } from "../../src/modules/auth/telegram";
import { ADMIN_TOKEN, BOT_TOKEN, createTestContext, JWT_SECRET, type TestContext } from "../helpers/app";
import { SocketClient } from "../helpers/socket";
import { snapshot, upgradeReply } from "./support";

// Distinctive ids, so a leak of one in a reply cannot hide in another number.
const ALICE = 7_310_000_000_101;
const BOB = 7_310_000_000_202;
const STRANGER = 7_310_000_000_303;
const BANNED = 7_310_000_000_404;
const BANNED_PARTNER = 7_310_000_000_505;
const NO_SUCH_MATCH = 987_654_321;
const SECRET_TEXT = "bob's very private words";

let ctx: TestContext;
let base: { ws: string; http: string };
let matchId: number;
let endedMatchId: number;
let expiredMatchId: number;
let bannedMatchId: number;
let bobMessageId: number;

beforeAll(async () => {
  ctx = await createTestContext();
  base = ctx.listen();
  await ctx.addUsers(
    { id: ALICE, coins: 1000 },
    { id: BOB, city: "Secretville", bio: "secret bio" },
    { id: STRANGER },
    { id: BANNED, banUntil: new Date(Date.now() + 86_400_000), banReason: "test" },
    { id: BANNED_PARTNER },
  );
  matchId = await ctx.addMatch(ALICE, BOB);
  endedMatchId = await ctx.addMatch(BOB, BANNED_PARTNER, { isActive: false, endReason: "unmatched" });
  expiredMatchId = await ctx.addMatch(ALICE, BANNED_PARTNER, { expiresAt: new Date(Date.now() - 60_000) });
  bannedMatchId = await ctx.addMatch(BANNED, BANNED_PARTNER);
  const sent = await ctx.request("POST", "/api/mystery/send-message", {
    as: BOB,
    body: { match_id: matchId, message_text: SECRET_TEXT, client_msg_id: "x" },
  });
  expect(sent.status).toBe(200);
  bobMessageId = sent.body.message_id;
  const requested = await ctx.request("POST", "/api/mystery/request-secret-chat", {
    as: BOB,
    body: { match_id: matchId, duration_minutes: 5 },
  });
  expect(requested.status).toBe(200);
});
afterAll(() => ctx.close());

// ---------------------------------------------------------------------------------------------
// Credentials

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** A token with any header and payload, HMAC-signed with the real secret. */
function hs256(payload: unknown, header: unknown = { alg: "HS256", typ: "JWT" }): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac("sha256", JWT_SECRET).update(input).digest("base64url")}`;
}

const now = () => Math.floor(Date.now() / 1000);

function initData(user: unknown, authDate = now(), botToken = BOT_TOKEN): string {
  return signInitData(botToken, { user: JSON.stringify(user), auth_date: String(authDate), query_id: "AAH" });
}

/** A credential that proves nothing: as a JWT (usable in ?token=) or as a whole Authorization header. */
interface BadCredential {
  name: string;
  jwt?: () => string;
  header: () => string | null;
}

const jwt = (name: string, make: () => string): BadCredential => ({
  name,
  jwt: make,
  header: () => `Bearer ${make()}`,
});
const header = (name: string, make: () => string | null): BadCredential => ({ name, header: make });

/** Every bad credential, each aimed at ALICE so that only the flaw refuses it. */
const BAD_CREDENTIALS: BadCredential[] = [
  header("no credential", () => null),
  jwt("a bad signature", () => signToken("another-secret-that-is-at-least-32-chars!", ALICE, 3600)),
  jwt("a truncated signature", () => signToken(JWT_SECRET, ALICE, 3600).slice(0, -2)),
  jwt("an expired token", () => signToken(JWT_SECRET, ALICE, -10)),
  jwt("a token not valid yet (nbf)", () => hs256({ sub: String(ALICE), nbf: now() + 3600 })),
  jwt("an exp that is not a number", () => hs256({ sub: String(ALICE), exp: String(now() + 3600) })),
  jwt("alg none, unsigned", () => `${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: String(ALICE) })}.`),
  jwt("alg none, with an HS256 signature", () => hs256({ sub: String(ALICE) }, { alg: "none", typ: "JWT" })),
  jwt("alg HS512", () => hs256({ sub: String(ALICE) }, { alg: "HS512", typ: "JWT" })),
  jwt("alg hs256 (lower case)", () => hs256({ sub: String(ALICE) }, { alg: "hs256", typ: "JWT" })),
  jwt("no header alg", () => hs256({ sub: String(ALICE) }, { typ: "JWT" })),
  jwt("sub missing", () => hs256({ exp: now() + 3600 })),
  jwt("sub 0", () => hs256({ sub: "0" })),
  jwt("sub -1", () => hs256({ sub: "-1" })),
  jwt("sub 1.5", () => hs256({ sub: "1.5" })),
  jwt("sub with a leading zero", () => hs256({ sub: `0${ALICE}` })),
  jwt("sub 1e3", () => hs256({ sub: "1e3" })),
  jwt("sub as a number", () => hs256({ sub: ALICE })),
  jwt("sub 2^53", () => hs256({ sub: "9007199254740992" })),
  jwt("sub abc", () => hs256({ sub: "abc" })),
  jwt("sub null", () => hs256({ sub: null })),
  jwt("sub an array", () => hs256({ sub: [String(ALICE)] })),
  jwt("a payload that is not JSON", () => {
    const input = `${b64({ alg: "HS256", typ: "JWT" })}.${Buffer.from("not json").toString("base64url")}`;
    return `${input}.${createHmac("sha256", JWT_SECRET).update(input).digest("base64url")}`;
  }),
  jwt("four parts", () => `${signToken(JWT_SECRET, ALICE, 3600)}.x`),
  header("Basic scheme", () => `Basic ${btoa(`${ALICE}:x`)}`),
  header("a bare token without a scheme", () => signToken(JWT_SECRET, ALICE, 3600)),
  header("an empty Bearer", () => "Bearer "),
  header("the admin token as a user's bearer", () => `Bearer ${ADMIN_TOKEN}`),
  header("tma signed with another bot token", () => `tma ${initData({ id: ALICE }, now(), "999:other-bot")}`),
  header("tma with a wrong hash", () => `tma ${initData({ id: ALICE }).replace(/hash=[0-9a-f]{4}/, "hash=0000")}`),
  header(
    "tma with a tampered user",
    () => `tma ${initData({ id: ALICE }).replace(encodeURIComponent(String(ALICE)), encodeURIComponent(String(BOB)))}`,
  ),
  header("tma without a hash", () => `tma ${initData({ id: ALICE }).replace(/&?hash=[0-9a-f]+/, "")}`),
  header("tma with a stale auth_date", () => `tma ${initData({ id: ALICE }, now() - 24 * 3600 - 60)}`),
  header("tma with an auth_date in the future", () => `tma ${initData({ id: ALICE }, now() + 3600)}`),
  header("tma with user id 0", () => `tma ${initData({ id: 0 })}`),
  header("tma with a negative user id", () => `tma ${initData({ id: -ALICE })}`),
  header("tma with a string user id", () => `tma ${initData({ id: String(ALICE) })}`),
  header("tma with a fractional user id", () => `tma ${initData({ id: 1.5 })}`),
  header("tma with user id 2^53", () => `tma ${initData({ id: 2 ** 53 })}`),
  header("tma whose user is not JSON", () => `tma ${signInitData(BOT_TOKEN, { user: "{", auth_date: String(now()) })}`),
  header("a JWT with the tma scheme", () => `tma ${signToken(JWT_SECRET, ALICE, 3600)}`),
];

const UNAUTHORIZED = { success: false, error: "unauthorized", message: "Missing or invalid credentials" };
const ADMIN_UNAUTHORIZED = { success: false, error: "unauthorized", message: "Missing or invalid admin token" };
const MATCH_NOT_FOUND = { success: false, error: "match_not_found", message: "Match not found" };
const FORBIDDEN = { success: false, error: "forbidden", message: "The user id does not match your credentials" };
const BANNED_REPLY = { success: false, error: "banned", message: "Your account is suspended" };

// ---------------------------------------------------------------------------------------------
// Routes

interface Route {
  name: string;
  method: string;
  path: () => string;
  body?: () => unknown;
  /** The same route with input the schema refuses, to show credentials are checked first. */
  invalid: { path?: () => string; body?: () => unknown };
}

const USER_ROUTES: Route[] = [
  {
    name: "PUT /profile",
    method: "PUT",
    path: () => "/api/mystery/profile",
    body: () => ({ gender: "male", age: 30 }),
    invalid: { body: () => ({ gender: 5, age: "x" }) },
  },
  { name: "GET /profile", method: "GET", path: () => "/api/mystery/profile", invalid: {} },
  {
    name: "POST /find-match",
    method: "POST",
    path: () => "/api/mystery/find-match",
    body: () => ({}),
    invalid: { body: () => ({ preferred_age_min: "x" }) },
  },
  {
    name: "GET /my-matches/{user_id}",
    method: "GET",
    path: () => `/api/mystery/my-matches/${ALICE}`,
    invalid: { path: () => "/api/mystery/my-matches/x" },
  },
  {
    name: "GET /stats/{user_id}",
    method: "GET",
    path: () => `/api/mystery/stats/${ALICE}`,
    invalid: { path: () => "/api/mystery/stats/0" },
  },
  {
    name: "POST /unmatch",
    method: "POST",
    path: () => "/api/mystery/unmatch",
    body: () => ({ match_id: matchId }),
    invalid: { body: () => ({ match_id: "x" }) },
  },
  {
    name: "POST /extend-match",
    method: "POST",
    path: () => "/api/mystery/extend-match",
    body: () => ({ match_id: matchId }),
    invalid: { body: () => ({ match_id: -1 }) },
  },
  {
    name: "POST /send-message",
    method: "POST",
    path: () => "/api/mystery/send-message",
    body: () => ({ match_id: matchId, message_text: "hi" }),
    invalid: { body: () => ({ match_id: matchId, message_text: "" }) },
  },
  {
    name: "GET /chat/{match_id}",
    method: "GET",
    path: () => `/api/mystery/chat/${matchId}`,
    invalid: { path: () => `/api/mystery/chat/${matchId}?limit=0` },
  },
  {
    name: "POST /request-secret-chat",
    method: "POST",
    path: () => "/api/mystery/request-secret-chat",
    body: () => ({ match_id: matchId, duration_minutes: 5 }),
    invalid: { body: () => ({ match_id: matchId, duration_minutes: 61 }) },
  },
  {
    name: "POST /accept-secret-chat/{match_id}",
    method: "POST",
    path: () => `/api/mystery/accept-secret-chat/${matchId}`,
    invalid: { path: () => "/api/mystery/accept-secret-chat/x" },
  },
  {
    name: "POST /decline-secret-chat/{match_id}",
    method: "POST",
    path: () => `/api/mystery/decline-secret-chat/${matchId}`,
    invalid: { path: () => "/api/mystery/decline-secret-chat/x" },
  },
  {
    name: "GET /chat/online-status/{match_id}/{user_id}",
    method: "GET",
    path: () => `/api/mystery/chat/online-status/${matchId}/${ALICE}`,
    invalid: { path: () => `/api/mystery/chat/online-status/0/${ALICE}` },
  },
  {
    name: "POST /block",
    method: "POST",
    path: () => "/api/mystery/block",
    body: () => ({ match_id: matchId }),
    invalid: { body: () => ({ match_id: matchId, reason: 5 }) },
  },
  {
    name: "POST /unblock",
    method: "POST",
    path: () => "/api/mystery/unblock",
    body: () => ({ match_id: matchId }),
    invalid: { body: () => ({ match_id: true }) },
  },
  { name: "GET /blocked", method: "GET", path: () => "/api/mystery/blocked", invalid: {} },
  {
    name: "POST /report",
    method: "POST",
    path: () => "/api/mystery/report",
    body: () => ({ match_id: matchId, content_type: "message", content_id: bobMessageId, reason: "spam" }),
    invalid: { body: () => ({ match_id: matchId, content_type: "nope", reason: "" }) },
  },
];

const ADMIN_ROUTES: Route[] = [
  {
    name: "PUT /admin/users/{id}/premium",
    method: "PUT",
    path: () => `/api/admin/users/${ALICE}/premium`,
    body: () => ({ until: "2099-01-01T00:00:00Z" }),
    invalid: { body: () => ({ until: "tomorrow" }) },
  },
  {
    name: "POST /admin/users/{id}/coins",
    method: "POST",
    path: () => `/api/admin/users/${ALICE}/coins`,
    body: () => ({ amount: 1_000_000 }),
    invalid: { body: () => ({ amount: 0.5 }) },
  },
  {
    name: "POST /admin/users/{id}/ban",
    method: "POST",
    path: () => `/api/admin/users/${BOB}/ban`,
    body: () => ({ hours: 1000, reason: "x" }),
    invalid: { body: () => ({ hours: 0, reason: "x" }) },
  },
  {
    name: "DELETE /admin/users/{id}/ban",
    method: "DELETE",
    path: () => `/api/admin/users/${BANNED}/ban`,
    invalid: { path: () => "/api/admin/users/0/ban" },
  },
  {
    name: "GET /admin/reports",
    method: "GET",
    path: () => "/api/admin/reports",
    invalid: { path: () => "/api/admin/reports?limit=0" },
  },
  {
    name: "POST /admin/reports/{id}/resolve",
    method: "POST",
    path: () => "/api/admin/reports/1/resolve",
    body: () => ({ status: "actioned" }),
    invalid: { body: () => ({ status: "nope" }) },
  },
];

type Reply = { status: number; body: any };

/** ctx.request, keeping what a reply says: its status and body. */
const req = (...args: Parameters<TestContext["request"]>): Promise<Reply> =>
  ctx.request(...args).then(({ status, body }) => ({ status, body }));

function call(route: Route, authorization: string | null, invalid = false): Promise<Reply> {
  const path = (invalid && route.invalid.path) || route.path;
  const body = (invalid && route.invalid.body) || route.body;
  return req(route.method, path(), {
    ...(authorization === null ? {} : { headers: { authorization } }),
    ...(body ? { body: body() } : {}),
  });
}

/** A reply that mentions none of the match's secrets. */
function expectNoLeak(reply: unknown, label: string) {
  const text = JSON.stringify(reply);
  for (const secret of [String(BOB), SECRET_TEXT, "Secretville", "secret bio"]) {
    if (text.includes(secret)) throw new Error(`${label} leaks ${secret}: ${text}`);
  }
}

/** Sends `run` expecting nothing written; returns its reply. */
async function unchanged(run: () => Promise<Reply>): Promise<Reply> {
  const before = await snapshot(ctx);
  const reply = await run();
  expect(await snapshot(ctx)).toEqual(before);
  return reply;
}

// ---------------------------------------------------------------------------------------------

describe("every user route refuses every bad credential with the same 401, before looking at the input", () => {
  for (const route of USER_ROUTES) {
    test(route.name, async () => {
      const before = await snapshot(ctx);
      for (const credential of BAD_CREDENTIALS) {
        for (const invalid of [false, true]) {
          const reply = await call(route, credential.header(), invalid);
          expect({ credential: credential.name, invalid, status: reply.status, body: reply.body }).toEqual({
            credential: credential.name,
            invalid,
            status: 401,
            body: UNAUTHORIZED,
          });
        }
      }
      expect(await snapshot(ctx)).toEqual(before);
      // Control: ALICE's real token passes the check (the invalid input is then what is refused).
      const control = await call(route, `Bearer ${ctx.token(ALICE)}`, true);
      expect(control.status).not.toBe(401);
    });
  }
});

describe("every operator route refuses every non-admin credential with the same 401", () => {
  const notAdmin: Array<[string, () => string | null]> = [
    ...BAD_CREDENTIALS.filter((credential) => credential.header() !== `Bearer ${ADMIN_TOKEN}`).map(
      (credential) => [credential.name, credential.header] as [string, () => string | null],
    ),
    ["a valid user token", () => `Bearer ${ctx.token(ALICE)}`],
    ["valid user tma", () => `tma ${initData({ id: ALICE })}`],
    ["the admin token with a suffix", () => `Bearer ${ADMIN_TOKEN}x`],
    ["a prefix of the admin token", () => `Bearer ${ADMIN_TOKEN.slice(0, -1)}`],
    ["the admin token with another scheme", () => `Token ${ADMIN_TOKEN}`],
    ["the admin token without a scheme", () => ADMIN_TOKEN],
  ];
  for (const route of ADMIN_ROUTES) {
    test(route.name, async () => {
      const before = await snapshot(ctx);
      for (const [name, authorization] of notAdmin) {
        for (const invalid of [false, true]) {
          const reply = await call(route, authorization(), invalid);
          expect({ credential: name, invalid, status: reply.status, body: reply.body }).toEqual({
            credential: name,
            invalid,
            status: 401,
            body: ADMIN_UNAUTHORIZED,
          });
        }
      }
      expect(await snapshot(ctx)).toEqual(before);
      const control = await call(route, `Bearer ${ADMIN_TOKEN}`, true);
      expect(control.status).not.toBe(401);
    });
  }
});

describe("POST /api/auth/telegram refuses initData that proves nothing with the same 401", () => {
  test("every forged, stale or malformed initData", async () => {
    const forged = BAD_CREDENTIALS.filter((credential) => credential.header()?.startsWith("tma "));
    expect(forged.length).toBeGreaterThan(8);
    for (const credential of forged) {
      const init_data = credential.header()!.slice("tma ".length);
      const reply = await unchanged(() => req("POST", "/api/auth/telegram", { body: { init_data } }));
      expect({ credential: credential.name, status: reply.status, body: reply.body }).toEqual({
        credential: credential.name,
        status: 401,
        body: { success: false, error: "unauthorized", message: "Telegram init data is invalid or expired" },
      });
    }
  });
});

describe("the chat socket refuses every bad credential before the upgrade", () => {
  const socketUrl = (query: string, user = ALICE, match = matchId) =>
    `${base.http}/api/mystery/ws/chat/${match}/${user}${query}`;

  test("in ?token= and in the Authorization header: 401, the same reply every time", async () => {
    for (const credential of BAD_CREDENTIALS) {
      const attempts: Array<[string, () => Promise<Reply>]> = [];
      if (credential.jwt) {
        attempts.push(["?token=", () => upgradeReply(socketUrl(`?token=${encodeURIComponent(credential.jwt!())}`))]);
      }
      const authorization = credential.header();
      attempts.push([
        "header",
        () =>
          fetch(socketUrl(""), {
            headers: {
              ...(authorization === null ? {} : { authorization }),
              connection: "Upgrade",
              upgrade: "websocket",
              "sec-websocket-version": "13",
              "sec-websocket-key": btoa("0123456789abcdef"),
            },
          }).then(async (response) => ({ status: response.status, body: await response.json() })),
      ]);
      for (const [where, attempt] of attempts) {
        const reply = await unchanged(attempt);
        expect({ credential: credential.name, where, ...reply }).toEqual({
          credential: credential.name,
          where,
          status: 401,
          body: UNAUTHORIZED,
        });
      }
    }
  });

  test("a valid token for another user id in the path: 403 forbidden, for a real or missing match alike", async () => {
    const token = `?token=${ctx.token(ALICE)}`;
    const replies = [
      await upgradeReply(socketUrl(token, BOB)),
      await upgradeReply(socketUrl(token, STRANGER)),
      await upgradeReply(socketUrl(token, BOB, NO_SUCH_MATCH)),
    ];
    for (const reply of replies) expect(reply).toEqual({ status: 403, body: FORBIDDEN });
  });

  test("control: a valid token opens the socket", async () => {
    const client = await SocketClient.open(
      `${base.ws}/api/mystery/ws/chat/${matchId}/${ALICE}?token=${ctx.token(ALICE)}`,
    );
    expect((await client.next("connected")).match_id).toBe(matchId);
    await client.close();
  });
});

describe("a valid user who is not in the match cannot tell it from a match that does not exist", () => {
  // Every route that names a match, with the match id as its only variable.
  const matchRoutes: Array<{ name: string; send: (match: number) => Promise<Reply> }> = [
    {
      name: "unmatch",
      send: (m) => req("POST", "/api/mystery/unmatch", { as: STRANGER, body: { match_id: m } }),
    },
    {
      name: "extend-match",
      send: (m) => req("POST", "/api/mystery/extend-match", { as: STRANGER, body: { match_id: m } }),
    },
    {
      name: "send-message",
      send: (m) =>
        req("POST", "/api/mystery/send-message", { as: STRANGER, body: { match_id: m, message_text: "hi" } }),
    },
    {
      name: "send-message with the client_msg_id of the partner's message",
      send: (m) =>
        req("POST", "/api/mystery/send-message", {
          as: STRANGER,
          body: { match_id: m, message_text: "hi", client_msg_id: "x" },
        }),
    },
    { name: "chat history", send: (m) => req("GET", `/api/mystery/chat/${m}`, { as: STRANGER }) },
    {
      name: "chat history, older page",
      send: (m) => req("GET", `/api/mystery/chat/${m}?before_id=${bobMessageId + 1}&limit=1`, { as: STRANGER }),
    },
    {
      name: "request-secret-chat",
      send: (m) =>
        req("POST", "/api/mystery/request-secret-chat", {
          as: STRANGER,
          body: { match_id: m, duration_minutes: 5 },
        }),
    },
    {
      name: "accept-secret-chat",
      send: (m) => req("POST", `/api/mystery/accept-secret-chat/${m}`, { as: STRANGER }),
    },
    {
      name: "decline-secret-chat",
      send: (m) => req("POST", `/api/mystery/decline-secret-chat/${m}`, { as: STRANGER }),
    },
    {
      name: "online-status",
      send: (m) => req("GET", `/api/mystery/chat/online-status/${m}/${STRANGER}`, { as: STRANGER }),
    },
    { name: "block", send: (m) => req("POST", "/api/mystery/block", { as: STRANGER, body: { match_id: m } }) },
    {
      name: "unblock",
      send: (m) => req("POST", "/api/mystery/unblock", { as: STRANGER, body: { match_id: m } }),
    },
    {
      name: "report the partner",
      send: (m) =>
        req("POST", "/api/mystery/report", {
          as: STRANGER,
          body: { match_id: m, content_type: "profile", reason: "x" },
        }),
    },
    {
      name: "report a message",
      send: (m) =>
        req("POST", "/api/mystery/report", {
          as: STRANGER,
          body: { match_id: m, content_type: "message", content_id: bobMessageId, reason: "x" },
        }),
    },
    {
      name: "socket upgrade",
      send: (m) => upgradeReply(`${base.http}/api/mystery/ws/chat/${m}/${STRANGER}?token=${ctx.token(STRANGER)}`),
    },
  ];

  for (const route of matchRoutes) {
    test(route.name, async () => {
      const missing = await unchanged(() => route.send(NO_SUCH_MATCH));
      expect(missing).toEqual({ status: 404, body: MATCH_NOT_FOUND });
      for (const [kind, id] of [
        ["active", matchId],
        ["ended", endedMatchId],
        ["expired", expiredMatchId],
        ["a banned user's", bannedMatchId],
      ] as const) {
        const reply = await unchanged(() => route.send(id));
        expect({ kind, ...reply }).toEqual({ kind, ...missing });
        expectNoLeak(reply, `${route.name} on the ${kind} match`);
      }
    });
  }

  test("reporting by user id: a partner never matched is the 404 of a missing match, like an unknown id", async () => {
    const send = (reported: number) =>
      req("POST", "/api/mystery/report", {
        as: STRANGER,
        body: { reported_user_id: reported, content_type: "profile", reason: "x" },
      });
    const unknown = await unchanged(() => send(1_234_567_890_123));
    expect(unknown).toEqual({ status: 404, body: MATCH_NOT_FOUND });
    expect(await unchanged(() => send(BOB))).toEqual(unknown);
  });

  test("the caller's own ids are checked first: a mismatched caller id is 403 whether or not the match is theirs", async () => {
    const cases: Array<[string, (match: number) => Promise<Reply>]> = [
      ["find-match user_id", () => req("POST", "/api/mystery/find-match", { as: STRANGER, body: { user_id: BOB } })],
      ["my-matches path", () => req("GET", `/api/mystery/my-matches/${BOB}`, { as: STRANGER })],
      ["stats path", () => req("GET", `/api/mystery/stats/${BOB}`, { as: STRANGER })],
      [
        "unmatch user_id",
        (m) => req("POST", "/api/mystery/unmatch", { as: STRANGER, body: { match_id: m, user_id: BOB } }),
      ],
      [
        "extend-match user_id",
        (m) => req("POST", "/api/mystery/extend-match", { as: STRANGER, body: { match_id: m, user_id: BOB } }),
      ],
      [
        "send-message sender_id",
        (m) =>
          req("POST", "/api/mystery/send-message", {
            as: STRANGER,
            body: { match_id: m, sender_id: BOB, message_text: "hi" },
          }),
      ],
      ["chat ?user_id", (m) => req("GET", `/api/mystery/chat/${m}?user_id=${BOB}`, { as: STRANGER })],
      [
        "request-secret-chat requester_id",
        (m) =>
          req("POST", "/api/mystery/request-secret-chat", {
            as: STRANGER,
            body: { match_id: m, requester_id: BOB, duration_minutes: 5 },
          }),
      ],
      [
        "accept-secret-chat ?user_id",
        (m) => req("POST", `/api/mystery/accept-secret-chat/${m}?user_id=${BOB}`, { as: STRANGER }),
      ],
      [
        "decline-secret-chat ?user_id",
        (m) => req("POST", `/api/mystery/decline-secret-chat/${m}?user_id=${BOB}`, { as: STRANGER }),
      ],
      ["online-status path", (m) => req("GET", `/api/mystery/chat/online-status/${m}/${BOB}`, { as: STRANGER })],
      [
        "block user_id",
        (m) => req("POST", "/api/mystery/block", { as: STRANGER, body: { match_id: m, user_id: BOB } }),
      ],
      [
        "unblock user_id",
        (m) => req("POST", "/api/mystery/unblock", { as: STRANGER, body: { match_id: m, user_id: BOB } }),
      ],
      [
        "report reporter_id",
        (m) =>
          req("POST", "/api/mystery/report", {
            as: STRANGER,
            body: { match_id: m, reporter_id: BOB, content_type: "profile", reason: "x" },
          }),
      ],
    ];
    for (const [name, send] of cases) {
      for (const match of [matchId, NO_SUCH_MATCH]) {
        const reply = await unchanged(() => send(match));
        expect({ name, ...reply }).toEqual({ name, status: 403, body: FORBIDDEN });
      }
    }
  });
});

describe("a banned user gets the same 403 banned on find-match, send-message and the socket", () => {
  test("find-match", async () => {
    for (const body of [{}, { user_id: BANNED }, { preferred_age_min: 18, preferred_age_max: 100 }]) {
      expect(await unchanged(() => req("POST", "/api/mystery/find-match", { as: BANNED, body }))).toEqual({
        status: 403,
        body: BANNED_REPLY,
      });
    }
  });

  test("send-message: the same reply for the banned user's match, someone else's and a missing one", async () => {
    for (const match of [bannedMatchId, matchId, NO_SUCH_MATCH]) {
      const reply = await unchanged(() =>
        req("POST", "/api/mystery/send-message", {
          as: BANNED,
          body: { match_id: match, message_text: "let me in", client_msg_id: "b1" },
        }),
      );
      expect({ match, ...reply }).toEqual({ match, status: 403, body: BANNED_REPLY });
    }
  });

  test("the socket: 403 banned on the banned user's match; 404 as for anyone on others'", async () => {
    const url = (match: number) => `${base.http}/api/mystery/ws/chat/${match}/${BANNED}?token=${ctx.token(BANNED)}`;
    expect(await upgradeReply(url(bannedMatchId))).toEqual({ status: 403, body: BANNED_REPLY });
    const notMine = await upgradeReply(url(matchId));
    expect(notMine).toEqual({ status: 404, body: MATCH_NOT_FOUND });
    expect(await upgradeReply(url(NO_SUCH_MATCH))).toEqual(notMine);
  });

  test("a socket opened before the ban is closed by it (4403) and stores nothing more", async () => {
    const client = await SocketClient.open(
      `${base.ws}/api/mystery/ws/chat/${matchId}/${ALICE}?token=${ctx.token(ALICE)}`,
    );
    await client.next("connected");
    const messagesBefore = (await snapshot(ctx)).messages;
    await req("POST", `/api/admin/users/${ALICE}/ban`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: { hours: 1, reason: "test" },
    });
    expect(await client.next("error")).toEqual({ type: "error", error: "banned", message: BANNED_REPLY.message });
    expect((await client.closed).code).toBe(4403);
    expect((await snapshot(ctx)).messages).toBe(messagesBefore!);
    await req("DELETE", `/api/admin/users/${ALICE}/ban`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
  });
});

describe("replies to the caller never name the partner before level 4", () => {
  test("match list, history, online status, stats, blocked list and socket events of a level-0 match", async () => {
    const replies = [
      await req("GET", `/api/mystery/my-matches/${ALICE}`, { as: ALICE }),
      await req("GET", `/api/mystery/chat/${matchId}`, { as: ALICE }),
      await req("GET", `/api/mystery/chat/online-status/${matchId}/${ALICE}`, { as: ALICE }),
      await req("GET", `/api/mystery/stats/${ALICE}`, { as: ALICE }),
      await req("GET", "/api/mystery/blocked", { as: ALICE }),
    ];
    for (const reply of replies) {
      expect(reply.status).toBe(200);
      expect(JSON.stringify(reply.body)).not.toContain(String(BOB));
    }
    const client = await SocketClient.open(
      `${base.ws}/api/mystery/ws/chat/${matchId}/${ALICE}?token=${ctx.token(ALICE)}&since=0`,
    );
    await client.next("history");
    expect(JSON.stringify(client.events)).not.toContain(String(BOB));
    await client.close();
  });
});
