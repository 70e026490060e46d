// Failure limits: per key, only the failures count, and a key past its limit is refused before the
// attempt is checked. Fixed windows as in rate-limit.ts, in memory for one process or in Redis.
import type { WindowLimit } from "./rate-limit";

export interface FailureLimiter {
  /**
   * Throws 429 rate_limited (with Retry-After) when `key` has already failed `limit.max` times in
   * this window, and counts nothing: call it before checking the attempt.
   */
  check(limit: WindowLimit, key: string): Promise<void>;
  /** Counts one failed attempt of `key`. */
  fail(limit: WindowLimit, key: string): Promise<void>;
}
