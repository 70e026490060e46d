// HTTP tests of authentication and caller authorization: POST /api/auth/telegram, Bearer and tma
// credentials on every protected route, and 403 for caller-id fields that are not the caller.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { signToken, verifyToken } from "../../../src/modules/auth/jwt";
import { signInitData } from "../../../src/modules/auth/telegram";
import { BOT_TOKEN, countRows, createTestContext, JWT_SECRET, type TestContext } from "../../helpers/app";
import { clientWith, ok, settled } from "../../helpers/client";

const UNAUTHORIZED = { success: false, error: "unauthorized", message: expect.any(String) } as const;
const FORBIDDEN = { success: false, error: "forbidden", message: expect.any(String) } as const;

// The typed client with a credential of any scheme, as a Mini App sends `tma <initData>`.
const client = clientWith;
const api = (ctx: TestContext, as: number) => client(ctx, bearer(ctx.token(as))).api;
const login = (ctx: TestContext, initData: string) => client(ctx).api.auth.telegram.post({ init_data: initData });

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

function initData(userId: number, authDate = Math.floor(Date.now() / 1000), botToken = BOT_TOKEN): string {
  return signInitData(botToken, {
    query_id: "AAHdF6IQAAAAAN0XohDhrOrc",
    user: JSON.stringify({ id: userId, first_name: "Test" }),
    auth_date: String(authDate),
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function hs256(payload: unknown, header: unknown = { alg: "HS256", typ: "JWT" }): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac("sha256", JWT_SECRET).update(input).digest("base64url")}`;
}

async function rowCounts(ctx: TestContext) {
  return {
    users: await countRows(ctx.db, "users"),
    matches: await countRows(ctx.db, "matches"),
    messages: await countRows(ctx.db, "messages"),
  };
}

describe("with a bot token configured", () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  describe("POST /api/auth/telegram", () => {
    test("valid initData returns a token for the Telegram user", async () => {
      const before = Date.now();
      const call = login(ctx, initData(7001));
      const reply = await settled(call);
      const after = Date.now();
      expect(reply).toEqual({
        status: 200,
        body: {
          success: true,
          token: expect.any(String),
          user_id: 7001,
          expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        },
      });
      const session = await ok(call);
      expect(verifyToken(JWT_SECRET, session.token)).toBe(7001);
      const expiresAt = Date.parse(session.expires_at);
      const ttl = ctx.config.jwtTtlSeconds * 1000;
      // Whole seconds: JWT NumericDates have no milliseconds.
      expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + ttl);
      expect(expiresAt).toBeLessThanOrEqual(after + ttl);
    });

    test("expires_at is the token's own exp claim", async () => {
      const call = login(ctx, initData(7001));
      expect((await settled(call)).status).toBe(200);
      const session = await ok(call);
      const payload = JSON.parse(Buffer.from(session.token.split(".")[1]!, "base64url").toString("utf8"));
      expect(session.expires_at).toBe(new Date(payload.exp * 1000).toISOString());
    });

    test("the returned token works as a Bearer credential on the profile routes", async () => {
      const call = login(ctx, initData(7002));
      expect((await settled(call)).status).toBe(200);
      const profile = client(ctx, bearer((await ok(call)).token)).api.mystery.profile;
      expect((await settled(profile.put({ gender: "other", age: 40 }))).status).toBe(200);
      const get = await settled(profile.get());
      expect(get.status).toBe(200);
      expect(get.body).toEqual({
        success: true,
        profile: {
          user_id: 7002,
          gender: "other",
          age: 40,
          city: null,
          bio: null,
          interests: [],
          photo_url: null,
          looking_for: ["male", "female", "other"],
          age_min: 18,
          age_max: 100,
          photo: null,
          is_premium: false,
          premium_until: null,
          coins: expect.any(Number),
          is_banned: false,
          ban_until: null,
        },
      });
    });

    test.each([
      ["signed with another bot token", () => initData(7003, undefined, "999:other-bot")],
      ["older than 24 hours", () => initData(7003, Math.floor(Date.now() / 1000) - 24 * 3600 - 60)],
      ["far in the future", () => initData(7003, Math.floor(Date.now() / 1000) + 3600)],
      ["with a tampered user", () => initData(7003).replace("7003", "7004")],
      ["without a hash", () => initData(7003).replace(/&?hash=[0-9a-f]+/, "")],
      ["garbage", () => "not init data at all"],
    ])("initData %s → 401", async (_name, make) => {
      const before = await rowCounts(ctx);
      expect(await settled(login(ctx, make()))).toEqual({ status: 401, body: UNAUTHORIZED });
      expect(await rowCounts(ctx)).toEqual(before);
    });

    // Bodies the types forbid (init_data left out, or not a string), so sent raw.
    test("missing init_data → 422 validation_failed naming the field", async () => {
      const reply = await ctx.request("POST", "/api/auth/telegram", { body: {} });
      expect(reply.status).toBe(422);
      expect(reply.body).toEqual({
        success: false,
        error: "validation_failed",
        message: expect.any(String),
        details: [{ field: "init_data", message: expect.any(String) }],
      });
    });

    test.each([
      ["a number", 123],
      ["null", null],
    ])("init_data %s → 422", async (_name, value) => {
      const reply = await ctx.request("POST", "/api/auth/telegram", { body: { init_data: value } });
      expect(reply.status).toBe(422);
      expect(reply.body).toEqual({
        success: false,
        error: "validation_failed",
        message: expect.any(String),
        details: [{ field: "init_data", message: expect.any(String) }],
      });
    });

    test.each([
      ["empty", ""],
      ["with a NUL character", "user=%7B%7D\u0000"],
    ])("init_data %s → 422", async (_name, value) => {
      expect(await settled(login(ctx, value))).toEqual({
        status: 422,
        body: {
          success: false,
          error: "validation_failed",
          message: expect.any(String),
          details: [{ field: "init_data", message: expect.any(String) }],
        },
      });
    });
  });

  describe("Authorization: tma <initData>", () => {
    test("works on protected routes and identifies the Telegram user", async () => {
      const profile = client(ctx, { authorization: `tma ${initData(7010)}` }).api.mystery.profile;
      const put = profile.put({ gender: "female", age: 22 });
      expect((await settled(put)).status).toBe(200);
      expect((await ok(put)).profile.user_id).toBe(7010);
      const get = profile.get();
      expect((await settled(get)).status).toBe(200);
      expect((await ok(get)).profile).toMatchObject({ user_id: 7010, gender: "female", age: 22 });
    });

    // Spellings of the header a client would not choose (the scheme's case, a mismatched scheme) are sent raw.
    test("the scheme name is case-insensitive", async () => {
      const reply = await ctx.request("PUT", "/api/mystery/profile", {
        headers: { authorization: `TMA ${initData(7012)}` },
        body: { gender: "male", age: 50 },
      });
      expect(reply.status).toBe(200);
      expect(reply.body.profile.user_id).toBe(7012);
    });

    test("tma data is bound to its user: another id in the path is 403", async () => {
      const tma = client(ctx, { authorization: `tma ${initData(7010)}` });
      expect(await settled(tma.api.mystery.stats({ user_id: 7011 }).get())).toEqual({ status: 403, body: FORBIDDEN });
    });

    test("stale tma data is refused with 401", async () => {
      const stale = initData(7010, Math.floor(Date.now() / 1000) - 25 * 3600);
      const profile = client(ctx, { authorization: `tma ${stale}` }).api.mystery.profile;
      expect(await settled(profile.get())).toEqual({ status: 401, body: UNAUTHORIZED });
    });

    test("a JWT sent with the tma scheme is refused", async () => {
      const reply = await ctx.request("GET", "/api/mystery/profile", {
        headers: { authorization: `tma ${ctx.token(7010)}` },
      });
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual(UNAUTHORIZED);
    });
  });

  describe("Bearer scheme", () => {
    // Spellings of the header a client would not choose (the scheme's case, a mismatched scheme) are sent raw.
    test("the scheme name is case-insensitive", async () => {
      const reply = await ctx.request("PUT", "/api/mystery/profile", {
        headers: { authorization: `bearer ${ctx.token(7020)}` },
        body: { gender: "male", age: 50 },
      });
      expect(reply.status).toBe(200);
      expect(reply.body.profile.user_id).toBe(7020);
    });

    test("Telegram initData sent as a Bearer credential is refused", async () => {
      const reply = await ctx.request("GET", "/api/mystery/profile", { headers: bearer(initData(7020)) });
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual(UNAUTHORIZED);
    });
  });

  // Raw on purpose: malformed credentials, and inputs the types forbid (a string age, "abc" as an id).
  describe("protected routes refuse missing or bad credentials with 401, before validating input", () => {
    const badCredentials: Array<[string, () => Record<string, string>]> = [
      ["no Authorization header", () => ({})],
      ["a bad signature", () => bearer(signToken("some-other-secret-that-is-long-enough!!", 1, 3600))],
      ["an expired token", () => bearer(signToken(JWT_SECRET, 1, -10))],
      ["an alg-none token", () => bearer(`${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: "1" })}.`)],
      ["a token whose sub is abc", () => bearer(hs256({ sub: "abc" }))],
      ["a token whose sub is a number", () => bearer(hs256({ sub: 1 }))],
      ["Basic xyz", () => ({ authorization: "Basic xyz" })],
      ["an empty Bearer", () => ({ authorization: "Bearer " })],
      ["a bare token without scheme", () => ({ authorization: signToken(JWT_SECRET, 1, 3600) })],
      ["tma garbage", () => ({ authorization: "tma user=%7B%22id%22%3A1%7D&hash=00" })],
    ];

    const routes: Array<{ method: string; path: string; body?: unknown; badPath?: string; badBody?: unknown }> = [
      { method: "PUT", path: "/api/mystery/profile", body: { gender: "male", age: 30 }, badBody: { age: "x" } },
      { method: "GET", path: "/api/mystery/profile" },
      { method: "POST", path: "/api/mystery/find-match", body: {}, badBody: { preferred_age_min: 5 } },
      { method: "GET", path: "/api/mystery/my-matches/1", badPath: "/api/mystery/my-matches/abc" },
      {
        method: "POST",
        path: "/api/mystery/send-message",
        body: { match_id: 1, message_text: "hi" },
        badBody: { match_id: "x" },
      },
      { method: "GET", path: "/api/mystery/chat/1", badPath: "/api/mystery/chat/abc?limit=9999" },
      { method: "GET", path: "/api/mystery/stats/1", badPath: "/api/mystery/stats/0" },
    ];

    for (const route of routes) {
      describe(`${route.method} ${route.path}`, () => {
        test.each(badCredentials)("%s → 401", async (_name, headers) => {
          const before = await rowCounts(ctx);
          const reply = await ctx.request(route.method, route.path, { headers: headers(), body: route.body });
          expect(reply.status).toBe(401);
          expect(reply.body).toEqual(UNAUTHORIZED);
          expect(await rowCounts(ctx)).toEqual(before);
        });

        if (route.badBody !== undefined || route.badPath !== undefined) {
          test.each(badCredentials)("%s with invalid input → 401, not 422", async (_name, headers) => {
            const reply = await ctx.request(route.method, route.badPath ?? route.path, {
              headers: headers(),
              body: route.badBody ?? route.body,
            });
            expect(reply.status).toBe(401);
            expect(reply.body).toEqual(UNAUTHORIZED);
          });

          test("the same invalid input with a valid token → 422 (control)", async () => {
            const reply = await ctx.request(route.method, route.badPath ?? route.path, {
              as: 1,
              body: route.badBody ?? route.body,
            });
            expect(reply.status).toBe(422);
            expect(reply.body.error).toBe("validation_failed");
          });
        }
      });
    }
  });

  describe("caller-id fields that are not the caller → 403 forbidden", () => {
    let matchId: number;
    beforeAll(async () => {
      await ctx.addUsers({ id: 101 }, { id: 102 }, { id: 103 });
      const found = api(ctx, 101).mystery["find-match"].post({});
      expect((await settled(found)).status).toBe(200);
      matchId = (await ok(found)).match_id;
    });

    test("find-match with another user_id", async () => {
      const before = await rowCounts(ctx);
      const reply = await settled(api(ctx, 101).mystery["find-match"].post({ user_id: 102 }));
      expect(reply).toEqual({ status: 403, body: FORBIDDEN });
      expect(await rowCounts(ctx)).toEqual(before);
    });

    test("find-match with the caller's own user_id is allowed (control)", async () => {
      const reply = await api(ctx, 102).mystery["find-match"].post({ user_id: 102 });
      expect(reply.status).not.toBe(403);
      expect([200, 404]).toContain(reply.status);
    });

    test.each([102, 103, 999])("send-message with sender_id %p", async (senderId) => {
      const before = await rowCounts(ctx);
      const reply = await settled(
        api(ctx, 101).mystery["send-message"].post({ match_id: matchId, sender_id: senderId, message_text: "hello" }),
      );
      expect(reply).toEqual({ status: 403, body: FORBIDDEN });
      expect(await rowCounts(ctx)).toEqual(before);
    });

    test("send-message with the caller's own sender_id is allowed (control)", async () => {
      const reply = await api(ctx, 101).mystery["send-message"].post({
        match_id: matchId,
        sender_id: 101,
        message_text: "hello",
      });
      expect(reply.status).toBe(200);
    });

    test("GET /my-matches/{other}", async () => {
      const reply = await settled(api(ctx, 101).mystery["my-matches"]({ user_id: 102 }).get());
      expect(reply).toEqual({ status: 403, body: FORBIDDEN });
    });

    test("GET /my-matches/{self} is allowed (control)", async () => {
      const call = api(ctx, 101).mystery["my-matches"]({ user_id: 101 }).get();
      expect((await settled(call)).status).toBe(200);
      expect((await ok(call)).matches.map((m) => m.match_id)).toContain(matchId);
    });

    test("GET /stats/{other}", async () => {
      const reply = await settled(api(ctx, 101).mystery.stats({ user_id: 102 }).get());
      expect(reply).toEqual({ status: 403, body: FORBIDDEN });
    });

    test("GET /stats/{self} is allowed (control)", async () => {
      const call = api(ctx, 101).mystery.stats({ user_id: 101 }).get();
      expect((await settled(call)).status).toBe(200);
      expect((await ok(call)).user_id).toBe(101);
    });

    test("GET /chat/{match}?user_id=other", async () => {
      const reply = await settled(
        api(ctx, 101)
          .mystery.chat({ match_id: matchId })
          .get({ query: { user_id: 102 } }),
      );
      expect(reply).toEqual({ status: 403, body: FORBIDDEN });
    });

    test("GET /chat/{match}?user_id=self is allowed (control)", async () => {
      const call = api(ctx, 101)
        .mystery.chat({ match_id: matchId })
        .get({ query: { user_id: 101 } });
      expect((await settled(call)).status).toBe(200);
      expect((await ok(call)).match_id).toBe(matchId);
    });
  });
});

describe("without a bot token (TELEGRAM_BOT_TOKEN empty)", () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ TELEGRAM_BOT_TOKEN: "" });
  });
  afterAll(() => ctx.close());

  test("the config has no bot token", () => {
    expect(ctx.config.telegramBotToken).toBeNull();
  });

  test("POST /api/auth/telegram refuses even correctly signed initData, saying the bot token is missing", async () => {
    expect(await settled(login(ctx, initData(8001)))).toEqual({
      status: 503,
      body: {
        success: false,
        error: "telegram_not_configured",
        message: "Telegram sign-in is not set up on this server (no bot token)",
      },
    });
  });

  test("the tma scheme is refused on protected routes", async () => {
    const before = await countRows(ctx.db, "users");
    const profile = client(ctx, { authorization: `tma ${initData(8001)}` }).api.mystery.profile;
    expect(await settled(profile.put({ gender: "male", age: 30 }))).toEqual({ status: 401, body: UNAUTHORIZED });
    expect(await countRows(ctx.db, "users")).toBe(before);
  });

  test("tma signed with an empty bot token is refused too", async () => {
    const profile = client(ctx, { authorization: `tma ${initData(8001, undefined, "")}` }).api.mystery.profile;
    expect(await settled(profile.get())).toEqual({ status: 401, body: UNAUTHORIZED });
  });

  test("Bearer tokens still work (control)", async () => {
    const put = api(ctx, 8001).mystery.profile.put({ gender: "male", age: 30 });
    expect((await settled(put)).status).toBe(200);
    expect((await ok(put)).profile.user_id).toBe(8001);
  });
});
