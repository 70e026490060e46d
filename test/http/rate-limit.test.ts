import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { signToken } from "../../src/modules/auth/jwt";
import { signInitData } from "../../src/modules/auth/telegram";
import { MemoryRateLimiter } from "../../src/realtime/rate-limit.memory";
import { BOT_TOKEN, countRows, createTestContext, freshRateWindow, JWT_SECRET, type TestContext } from "../helpers/app";
import { SocketClient } from "../helpers/socket";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({
    RATE_LIMIT_SENDS_PER_MINUTE: "3",
    RATE_LIMIT_FIND_MATCH_PER_MINUTE: "2",
    RATE_LIMIT_AUTH_PER_MINUTE: "2",
  });
});
afterAll(() => ctx.close());

describe("per-user and per-address limits", () => {
  beforeEach(freshRateWindow);

  test("message sends: the fourth in a minute is 429 rate_limited with Retry-After, and stores nothing", async () => {
    const [a, b] = [14_000_001, 14_000_002];
    await ctx.addUsers({ id: a }, { id: b });
    const matchId = await ctx.addMatch(a, b);
    const send = () =>
      ctx.request("POST", "/api/mystery/send-message", { as: a, body: { match_id: matchId, message_text: "hi" } });
    for (let i = 0; i < 3; i++) expect((await send()).status).toBe(200);
    const limited = await send();
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      success: false,
      error: "rate_limited",
      message: expect.stringMatching(/^Too many requests/),
    });
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await countRows(ctx.db, `messages WHERE match_id = ${matchId}`)).toBe(3);
    // The partner has a budget of their own.
    expect(
      (
        await ctx.request("POST", "/api/mystery/send-message", {
          as: b,
          body: { match_id: matchId, message_text: "yo" },
        })
      ).status,
    ).toBe(200);
  });

  test("socket messages count against the same per-user limit", async () => {
    const [a, b] = [14_000_011, 14_000_012];
    await ctx.addUsers({ id: a }, { id: b });
    const matchId = await ctx.addMatch(a, b);
    const base = ctx.listen();
    const alice = await SocketClient.open(
      `${base.ws}/api/mystery/ws/chat/${matchId}/${a}?token=${signToken(JWT_SECRET, a, 60)}`,
    );
    for (let i = 0; i < 3; i++) {
      alice.send({ type: "message", text: `m${i}`, client_msg_id: `c${i}` });
      await alice.next("ack");
    }
    alice.send({ type: "message", text: "one too many", client_msg_id: "c3" });
    expect(await alice.next("error")).toMatchObject({ error: "rate_limited", client_msg_id: "c3" });
    await alice.close();
  });

  test("find-match: the third in a minute is 429 rate_limited", async () => {
    const me = 14_000_021;
    await ctx.addUsers({ id: me, premiumUntil: new Date(Date.now() + 86_400_000) });
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await ctx.request("POST", "/api/mystery/find-match", { as: me, body: {} })).status);
    expect(statuses[2]).toBe(429);
  });

  test("Telegram sign-in is limited per client address", async () => {
    const initData = signInitData(BOT_TOKEN, {
      auth_date: String(Math.floor(Date.now() / 1000)),
      user: JSON.stringify({ id: 14_000_031 }),
    });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await ctx.request("POST", "/api/auth/telegram", { body: { init_data: initData } })).status);
    }
    expect(statuses).toEqual([200, 200, 429]);
  });
});

describe("MemoryRateLimiter", () => {
  const limit = { name: "t", max: 2, windowSeconds: 60 };

  test("counts per key and per window", async () => {
    const limiter = new MemoryRateLimiter();
    const t0 = 1_000_000_000_000 - (1_000_000_000_000 % 60_000);
    await limiter.take(limit, 1, t0);
    await limiter.take(limit, 1, t0 + 1000);
    await expect(limiter.take(limit, 1, t0 + 2000)).rejects.toMatchObject({
      status: 429,
      headers: { "retry-after": "58" },
    });
    await limiter.take(limit, 2, t0 + 2000);
    await limiter.take(limit, 1, t0 + 60_000);
  });

  test("a limit of 0 is off", async () => {
    const limiter = new MemoryRateLimiter();
    for (let i = 0; i < 100; i++) await limiter.take({ ...limit, max: 0 }, 1);
  });
});
