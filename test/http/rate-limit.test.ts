import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { signToken } from "../../src/modules/auth/jwt";
import { signInitData } from "../../src/modules/auth/telegram";
import { type RateLimiter, rateLimited } from "../../src/realtime/rate-limit";
import { MemoryRateLimiter } from "../../src/realtime/rate-limit.memory";
import { type SharedRequest, SharedState } from "../../src/realtime/shared.ipc";
import { BOT_TOKEN, countRows, createTestContext, JWT_SECRET, ManualClock, type TestContext } from "../helpers/app";
import { redisLimiters } from "../helpers/limiters";
import { SocketClient } from "../helpers/socket";

// The limits count per minute of this clock, which moves only when a test moves it.
const clock = new ManualClock(Date.now());
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext(
    {
      // A burst of 3, then one send every 20 s.
      RATE_LIMIT_SENDS_PER_MINUTE: "3",
      RATE_LIMIT_SENDS_BURST: "3",
      RATE_LIMIT_FIND_MATCH_PER_MINUTE: "2",
      RATE_LIMIT_AUTH_PER_MINUTE: "2",
    },
    { clock: clock.now },
  );
});
afterAll(() => ctx.close());

describe("per-user and per-address limits", () => {
  // Each test runs 15 s into a window of its own, which no test's duration can roll over.
  beforeEach(() => clock.nextWindow(15_000));

  test("message sends: a burst of 3, then the fourth is 429 rate_limited with Retry-After, and stores nothing", async () => {
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
      message: "Too many requests; try again in 20 s",
    });
    // One token comes back every 20 s (3 a minute).
    expect(limited.headers.get("retry-after")).toBe("20");
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

  test("the bucket refills at the sustained rate, never above its burst", async () => {
    const [a, b] = [14_000_041, 14_000_042];
    await ctx.addUsers({ id: a }, { id: b });
    const matchId = await ctx.addMatch(a, b);
    const send = async () =>
      (
        await ctx.request("POST", "/api/mystery/send-message", {
          as: a,
          body: { match_id: matchId, message_text: "hi" },
        })
      ).status;
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await send());
    clock.advance(19_999);
    statuses.push(await send());
    clock.advance(1);
    statuses.push(await send(), await send());
    // A long pause fills the bucket to its burst of 3, not more.
    clock.advance(10 * 60_000);
    for (let i = 0; i < 4; i++) statuses.push(await send());
    expect(statuses).toEqual([200, 200, 200, 429, 429, 200, 429, 200, 200, 200, 429]);
    expect(await countRows(ctx.db, `messages WHERE match_id = ${matchId}`)).toBe(7);
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

  test("a repeat of a stored send is answered as its replay even with no tokens left, over REST and the socket", async () => {
    const [a, b] = [14_000_071, 14_000_072];
    await ctx.addUsers({ id: a }, { id: b });
    const matchId = await ctx.addMatch(a, b);
    const send = (text: string, clientMsgId: string) =>
      ctx.request("POST", "/api/mystery/send-message", {
        as: a,
        body: { match_id: matchId, message_text: text, client_msg_id: clientMsgId },
      });
    const first = await send("first", "r-1");
    expect(first.status).toBe(200);
    for (const id of ["r-2", "r-3"]) expect((await send(id, id)).status).toBe(200);
    expect((await send("new", "r-4")).status).toBe(429);

    // The client did not hear the first reply and asks again: the first reply, not 429.
    const repeat = await send("first", "r-1");
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual(first.body);
    const base = ctx.listen();
    const alice = await SocketClient.open(
      `${base.ws}/api/mystery/ws/chat/${matchId}/${a}?token=${signToken(JWT_SECRET, a, 60)}`,
    );
    alice.send({ type: "message", text: "first", client_msg_id: "r-1" });
    expect(await alice.next("ack")).toMatchObject({
      client_msg_id: "r-1",
      message_id: (first.body as { message_id: number }).message_id,
    });
    // A send never stored is still refused, and nothing new was stored.
    alice.send({ type: "message", text: "new", client_msg_id: "r-4" });
    expect(await alice.next("error")).toMatchObject({ error: "rate_limited", client_msg_id: "r-4" });
    expect(await countRows(ctx.db, `messages WHERE match_id = ${matchId}`)).toBe(3);
    await alice.close();
  });

  test("out of tokens, someone else's client_msg_id replays nothing: the partner and a stranger both get the same 429", async () => {
    const [a, b, stranger] = [14_000_091, 14_000_092, 14_000_093];
    await ctx.addUsers({ id: a }, { id: b }, { id: stranger });
    const matchId = await ctx.addMatch(a, b);
    const send = (as: number, text: string, clientMsgId: string) =>
      ctx.request("POST", "/api/mystery/send-message", {
        as,
        body: { match_id: matchId, message_text: text, client_msg_id: clientMsgId },
      });
    expect((await send(a, "alice's", "shared-id")).status).toBe(200);
    // Bob spends his burst; the stranger's sends to a match not theirs are refused, and count too.
    for (const id of ["b-1", "b-2", "b-3"]) expect((await send(b, id, id)).status).toBe(200);
    for (const id of ["s-1", "s-2", "s-3"]) expect((await send(stranger, id, id)).status).toBe(404);
    // Alice's client_msg_id, tried by each of them: neither gets her reply (her message id, her counts).
    const replies = [await send(b, "alice's", "shared-id"), await send(stranger, "alice's", "shared-id")];
    for (const reply of replies) {
      expect(reply.status).toBe(429);
      expect(reply.body).toEqual({
        success: false,
        error: "rate_limited",
        message: "Too many requests; try again in 20 s",
      });
    }
    expect(replies[0]!.headers.get("retry-after")).toBe(replies[1]!.headers.get("retry-after"));
    expect(await countRows(ctx.db, `messages WHERE match_id = ${matchId}`)).toBe(4);
  });

  test("a repeat of a stored send takes no token: the sends after it get the whole burst", async () => {
    const [a, b] = [14_000_081, 14_000_082];
    await ctx.addUsers({ id: a }, { id: b });
    const matchId = await ctx.addMatch(a, b);
    const send = async (clientMsgId: string) =>
      (
        await ctx.request("POST", "/api/mystery/send-message", {
          as: a,
          body: { match_id: matchId, message_text: clientMsgId, client_msg_id: clientMsgId },
        })
      ).status;
    // One, its repeat twice (a reconnecting client sends what it has not heard back about), two, three.
    const statuses = [await send("s-1"), await send("s-1"), await send("s-1"), await send("s-2"), await send("s-3")];
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(await send("s-4")).toBe(429);
    expect(await countRows(ctx.db, `messages WHERE match_id = ${matchId}`)).toBe(3);
  });

  test("find-match: the third in a minute is 429 rate_limited", async () => {
    const me = 14_000_021;
    await ctx.addUsers({ id: me, premiumUntil: new Date(Date.now() + 86_400_000) });
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await ctx.request("POST", "/api/mystery/find-match", { as: me, body: {} })).status);
    expect(statuses[2]).toBe(429);
  });

  // The per-address sign-in limit counts failures over a real socket: test/http/address-limits.test.ts.
  test("successful Telegram sign-ins never count toward the sign-in limit", async () => {
    const initData = signInitData(BOT_TOKEN, {
      auth_date: String(Math.floor(Date.now() / 1000)),
      user: JSON.stringify({ id: 14_000_031 }),
    });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await ctx.request("POST", "/api/auth/telegram", { body: { init_data: initData } })).status);
    }
    expect(statuses).toEqual([200, 200, 200]);
  });
});

describe("MemoryRateLimiter", () => {
  const limit = { kind: "window", name: "t", max: 2, windowSeconds: 60 } as const;

  test("counts per key and per window", async () => {
    const t0 = 1_000_000_000_000 - (1_000_000_000_000 % 60_000);
    const clock = new ManualClock(t0);
    const limiter = new MemoryRateLimiter(clock.now);
    await limiter.take(limit, 1);
    clock.set(t0 + 1000);
    await limiter.take(limit, 1);
    clock.set(t0 + 2000);
    await expect(limiter.take(limit, 1)).rejects.toMatchObject({
      status: 429,
      headers: { "retry-after": "58" },
    });
    await limiter.take(limit, 2);
    clock.set(t0 + 60_000);
    await limiter.take(limit, 1);
  });

  test("a limit of 0 is off", async () => {
    const limiter = new MemoryRateLimiter(new ManualClock(0).now);
    for (let i = 0; i < 100; i++) await limiter.take({ ...limit, max: 0 }, 1);
  });
});

describe("MemoryRateLimiter's token bucket", () => {
  test("takes the burst at once, then refills at the sustained rate up to the burst", async () => {
    const bucket = { kind: "bucket", name: "b", burst: 20, perMinute: 60 } as const;
    const clock = new ManualClock(0);
    const limiter = new MemoryRateLimiter(clock.now);
    for (let i = 0; i < 20; i++) await limiter.take(bucket, 1);
    await expect(limiter.take(bucket, 1)).rejects.toMatchObject({ status: 429, headers: { "retry-after": "1" } });
    clock.advance(1000);
    await limiter.take(bucket, 1);
    await expect(limiter.take(bucket, 1)).rejects.toMatchObject({ status: 429 });
    clock.advance(3_600_000);
    for (let i = 0; i < 20; i++) await limiter.take(bucket, 1);
    await expect(limiter.take(bucket, 1)).rejects.toMatchObject({ status: 429 });
    await limiter.take(bucket, 2);
    await limiter.take({ ...bucket, perMinute: 0 }, 1);
  });
});

describe("RedisRateLimiter", () => {
  const limit = { kind: "window", name: "t", max: 2, windowSeconds: 60 } as const;
  const t0 = 1_000_000_000_000 - (1_000_000_000_000 % 60_000) + 15_000;
  const limiters = redisLimiters();
  const limiterOn = limiters.on;

  test("two processes count together, per window of their clock", async () => {
    const clock = new ManualClock(t0);
    const prefix = `mm-rate-test-${crypto.randomUUID()}`;
    const [one, two] = [await limiterOn(limiters.url(), prefix, clock), await limiterOn(limiters.url(), prefix, clock)];
    await one.take(limit, 1);
    await two.take(limit, 1);
    const refused = { status: 429, headers: { "retry-after": "45" } };
    await expect(one.take(limit, 1)).rejects.toMatchObject(refused);
    await expect(two.take(limit, 1)).rejects.toMatchObject(refused);
    // Another key has a budget of its own.
    await two.take(limit, 2);
    clock.advance(44_999);
    await expect(one.take(limit, 1)).rejects.toMatchObject({ status: 429, headers: { "retry-after": "1" } });
    clock.advance(1);
    await one.take(limit, 1);
    await two.take(limit, 1);
    await expect(one.take(limit, 1)).rejects.toMatchObject({ status: 429, headers: { "retry-after": "60" } });
  });

  test("a token bucket is one bucket for every process, refilled by the takers' clock", async () => {
    const bucket = { kind: "bucket", name: "b", burst: 2, perMinute: 6 } as const;
    const clock = new ManualClock(t0);
    const prefix = `mm-rate-test-${crypto.randomUUID()}`;
    const [one, two] = [await limiterOn(limiters.url(), prefix, clock), await limiterOn(limiters.url(), prefix, clock)];
    await one.take(bucket, 1);
    await two.take(bucket, 1);
    // Empty: the next token in 10 s (6 a minute).
    await expect(one.take(bucket, 1)).rejects.toMatchObject({ status: 429, headers: { "retry-after": "10" } });
    clock.advance(5_000);
    await expect(two.take(bucket, 1)).rejects.toMatchObject({ status: 429, headers: { "retry-after": "5" } });
    clock.advance(5_000);
    await two.take(bucket, 1);
    await expect(one.take(bucket, 1)).rejects.toMatchObject({ status: 429 });
    // An hour later it holds its burst, 2, and no more.
    clock.advance(3_600_000);
    await one.take(bucket, 1);
    await two.take(bucket, 1);
    await expect(one.take(bucket, 1)).rejects.toMatchObject({ status: 429 });
  });

  test("with Redis unreachable each process counts alone, on the same clock", async () => {
    const clock = new ManualClock(t0);
    const lonely = await limiterOn("redis://127.0.0.1:1", `mm-rate-test-${crypto.randomUUID()}`, clock);
    await lonely.take(limit, 1);
    await lonely.take(limit, 1);
    await expect(lonely.take(limit, 1)).rejects.toMatchObject({ status: 429, headers: { "retry-after": "45" } });
    clock.nextWindow();
    await lonely.take(limit, 1);
  });

  test("a limit of 0 is off", async () => {
    const limiter = await limiterOn(limiters.url(), `mm-rate-test-${crypto.randomUUID()}`, new ManualClock(t0));
    for (let i = 0; i < 100; i++) await limiter.take({ ...limit, max: 0 }, 1);
  });
});

describe("a token given back (a send that was a replay)", () => {
  const bucket = { kind: "bucket", name: "g", burst: 2, perMinute: 1 } as const;
  const limiters = redisLimiters();

  async function giveBackBehaviour(one: RateLimiter, two: RateLimiter): Promise<void> {
    await one.take(bucket, 1);
    await two.take(bucket, 1);
    await expect(one.take(bucket, 1)).rejects.toMatchObject({ status: 429 });
    await two.giveBack(bucket, 1);
    await one.take(bucket, 1);
    await expect(two.take(bucket, 1)).rejects.toMatchObject({ status: 429 });
    // Never above the burst, and another key's bucket is untouched.
    for (let i = 0; i < 5; i++) await one.giveBack(bucket, 1);
    await two.take(bucket, 1);
    await one.take(bucket, 1);
    await expect(two.take(bucket, 1)).rejects.toMatchObject({ status: 429 });
    await one.giveBack(bucket, 2);
    await one.take(bucket, 2);
    await two.take(bucket, 2);
    await expect(one.take(bucket, 2)).rejects.toMatchObject({ status: 429 });
  }

  test("in memory", async () => {
    const limiter = new MemoryRateLimiter(new ManualClock(0).now);
    await giveBackBehaviour(limiter, limiter);
  });

  test("in Redis, for every process", async () => {
    const clock = new ManualClock(0);
    const prefix = `mm-rate-test-${crypto.randomUUID()}`;
    await giveBackBehaviour(
      await limiters.on(limiters.url(), prefix, clock),
      await limiters.on(limiters.url(), prefix, clock),
    );
  });

  test("in the parent of --workers, asked over IPC by its workers", async () => {
    const shared = new SharedState(new ManualClock(0).now);
    let nextId = 0;
    const worker = (n: number): RateLimiter => {
      const ask = async (request: object) => {
        const { value } = await shared.answer(n, { ...request, kind: "shared", id: nextId++ } as SharedRequest);
        if (value !== null) throw rateLimited(value as number);
      };
      return {
        take: (limit, key) => ask({ op: "take", limit, key }),
        giveBack: (limit, key) => ask({ op: "giveBack", limit, key }),
        check: (limit, key) => ask({ op: "check", limit, key }),
        fail: (limit, key) => ask({ op: "fail", limit, key }),
      };
    };
    await giveBackBehaviour(worker(1), worker(2));
  });
});

describe("the default send limit lets people type quick lines", () => {
  test("20 lines at once over the socket are all stored; the 21st is refused naming its client_msg_id", async () => {
    const quick = await createTestContext(
      { RATE_LIMIT_SENDS_PER_MINUTE: "60", RATE_LIMIT_SENDS_BURST: "20" },
      { clock: new ManualClock(Date.now()).now },
    );
    try {
      const [a, b] = [14_000_051, 14_000_052];
      await quick.addUsers({ id: a }, { id: b });
      const matchId = await quick.addMatch(a, b);
      const base = quick.listen();
      const alice = await SocketClient.open(
        `${base.ws}/api/mystery/ws/chat/${matchId}/${a}?token=${signToken(JWT_SECRET, a, 60)}`,
      );
      await alice.next("connected");
      for (let i = 0; i < 20; i++) alice.send({ type: "message", text: `line ${i}`, client_msg_id: `q${i}` });
      const acks = [];
      for (let i = 0; i < 20; i++) acks.push((await alice.next("ack")).client_msg_id);
      expect(acks.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `q${i}`).sort());
      alice.send({ type: "message", text: "one more", client_msg_id: "q20" });
      expect(await alice.next("error")).toEqual({
        type: "error",
        error: "rate_limited",
        message: expect.stringMatching(/^Too many/),
        client_msg_id: "q20",
      });
      expect(await countRows(quick.db, `messages WHERE match_id = ${matchId}`)).toBe(20);
      await alice.close();
    } finally {
      await quick.close();
    }
  });
});
