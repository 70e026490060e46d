// Limits on failures (check and fail): only failures count, and a key past its limit is refused by check() before its
// attempt is looked at; in memory, and shared through Redis by several processes.
import { describe, expect, test } from "bun:test";
import type { RateLimiter } from "../../src/realtime/rate-limit";
import { MemoryRateLimiter } from "../../src/realtime/rate-limit.memory";
import { ManualClock } from "../helpers/app";
import { redisLimiters } from "../helpers/limiters";

const limit = { kind: "window", name: "t", max: 2, windowSeconds: 60 } as const;
// 15 s into a window.
const t0 = 1_000_000_000_000 - (1_000_000_000_000 % 60_000) + 15_000;

/** What check() says for `key`: "ok", or the Retry-After of its 429. */
async function verdict(limiter: RateLimiter, key: string): Promise<string> {
  try {
    await limiter.check(limit, key);
    return "ok";
  } catch (error) {
    expect(error).toMatchObject({ status: 429, code: "rate_limited" });
    return (error as { headers: Record<string, string> }).headers["retry-after"]!;
  }
}

/** The behaviour every implementation shares, on limiters `one` and `two` that count together. */
async function sharedBehaviour(one: RateLimiter, two: RateLimiter, clock: ManualClock) {
  // Checks count nothing.
  for (let i = 0; i < 10; i++) expect(await verdict(one, "a")).toBe("ok");
  await one.fail(limit, "a");
  expect(await verdict(two, "a")).toBe("ok");
  await two.fail(limit, "a");
  // Two failures: the limit is reached, and both refuse before the next attempt.
  expect([await verdict(one, "a"), await verdict(two, "a")]).toEqual(["45", "45"]);
  // Another key has a budget of its own.
  expect(await verdict(one, "b")).toBe("ok");
  clock.advance(44_999);
  expect(await verdict(one, "a")).toBe("1");
  clock.advance(1);
  expect(await verdict(one, "a")).toBe("ok");
}

describe("MemoryRateLimiter: check and fail", () => {
  test("only failures count; past the limit check() refuses until the window ends", async () => {
    const clock = new ManualClock(t0);
    const limiter = new MemoryRateLimiter(clock.now);
    await sharedBehaviour(limiter, limiter, clock);
  });

  test("a limit of 0 is off", async () => {
    const limiter = new MemoryRateLimiter(new ManualClock(t0).now);
    for (let i = 0; i < 100; i++) await limiter.fail({ ...limit, max: 0 }, "a");
    await limiter.check({ ...limit, max: 0 }, "a");
  });
});

describe("RedisRateLimiter: check and fail", () => {
  const limiters = redisLimiters();
  const limiterOn = limiters.on;

  test("two processes count one address's failures together", async () => {
    const clock = new ManualClock(t0);
    const prefix = `mm-failures-test-${crypto.randomUUID()}`;
    await sharedBehaviour(
      await limiterOn(limiters.url(), prefix, clock),
      await limiterOn(limiters.url(), prefix, clock),
      clock,
    );
  });

  test("with Redis unreachable each process counts alone", async () => {
    const clock = new ManualClock(t0);
    const lonely = await limiterOn("redis://127.0.0.1:1", `mm-failures-test-${crypto.randomUUID()}`, clock);
    await sharedBehaviour(lonely, lonely, clock);
  });
});
