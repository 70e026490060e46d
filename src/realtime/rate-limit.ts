// Rate limits: fixed windows and token buckets per key, counted in memory for one process or in Redis across processes.
import { AppError } from "../kernel/errors";

/** At most `max` requests per window of `windowSeconds` (0 turns the limit off). */
export interface WindowLimit {
  readonly kind: "window";
  /** Names the counter, e.g. "find-match" or "auth". */
  readonly name: string;
  readonly max: number;
  readonly windowSeconds: number;
}

/** A token bucket: `burst` requests at once, refilled at `perMinute` (0 turns the limit off). */
export interface BucketLimit {
  readonly kind: "bucket";
  readonly name: string;
  readonly burst: number;
  readonly perMinute: number;
}

export type Limit = WindowLimit | BucketLimit;

export interface RateLimiter {
  /** Counts one request of `key` against `limit`; throws 429 rate_limited past it. */
  take(limit: Limit, key: string | number): Promise<void>;
  /**
   * For limits on failures only (sign-ins, operator tokens): throws 429 rate_limited when `key` has
   * already failed `limit.max` times in this window, and counts nothing. Call it before the attempt.
   */
  check(limit: WindowLimit, key: string): Promise<void>;
  /** Counts one failed attempt of `key` against `limit`, refusing nothing. */
  fail(limit: WindowLimit, key: string): Promise<void>;
  /** Gives back the token a `take` of `key` took (the request turned out to cost nothing), up to the burst. */
  giveBack(limit: BucketLimit, key: string | number): Promise<void>;
}

/** Milliseconds since the epoch: Date.now, or a test's own clock. */
export type Clock = () => number;

export const rateLimited = (retryAfterSeconds: number) =>
  new AppError(429, "rate_limited", `Too many requests; try again in ${retryAfterSeconds} s`, {
    "retry-after": String(retryAfterSeconds),
  });

/** A refusal of `take` or `check`. */
export const isRateLimited = (error: unknown): error is AppError =>
  error instanceof AppError && error.code === "rate_limited";

export const isOff = (limit: Limit): boolean => (limit.kind === "window" ? limit.max : limit.perMinute) === 0;

/** The window `now` falls in, and how long until the next one begins. */
export function windowOf(limit: WindowLimit, now: number) {
  const size = limit.windowSeconds * 1000;
  const index = Math.floor(now / size);
  return { index, retryAfterSeconds: Math.max(1, Math.ceil(((index + 1) * size - now) / 1000)) };
}

/** Tokens a bucket regains per millisecond. */
export const refillPerMs = (limit: BucketLimit): number => limit.perMinute / 60_000;

/** Seconds until a bucket holding `tokens` (< 1) has one token again. */
export const bucketRetryAfter = (limit: BucketLimit, tokens: number): number =>
  Math.max(1, Math.ceil((1 - tokens) / refillPerMs(limit) / 1000));
