// Rate limits: fixed windows per key, counted in memory for one process or in Redis across processes.
import { AppError } from "../kernel/errors";

export interface Limit {
  /** Names the counter, e.g. "send" or "auth". */
  readonly name: string;
  /** Requests allowed per window; 0 turns the limit off. */
  readonly max: number;
  readonly windowSeconds: number;
}

export interface RateLimiter {
  /** Counts one request of `key` against `limit`; throws 429 rate_limited past it. */
  take(limit: Limit, key: string | number): Promise<void>;
}

/** Milliseconds since the epoch: Date.now, or a test's own clock. */
export type Clock = () => number;

export const rateLimited = (retryAfterSeconds: number) =>
  new AppError(429, "rate_limited", `Too many requests; try again in ${retryAfterSeconds} s`, {
    "retry-after": String(retryAfterSeconds),
  });

/** The window `now` falls in, and how long until the next one begins. */
export function windowOf(limit: Limit, now: number) {
  const size = limit.windowSeconds * 1000;
  const index = Math.floor(now / size);
  return { index, retryAfterSeconds: Math.max(1, Math.ceil(((index + 1) * size - now) / 1000)) };
}
