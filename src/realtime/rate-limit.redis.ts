// Rate-limit counters shared by every process through Redis, falling back to this process's own.
import { log } from "../log";
import { type Clock, type Limit, type RateLimiter, rateLimited, windowOf } from "./rate-limit";
import { MemoryRateLimiter } from "./rate-limit.memory";
import type { RedisConnection } from "./redis";

/**
 * INCR on a key per window, expiring with it. While Redis is unreachable each process falls back
 * to its own counters, so limits loosen but never vanish.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly fallback: MemoryRateLimiter;
  private warned = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly prefix: string,
    private readonly clock: Clock = Date.now,
  ) {
    this.fallback = new MemoryRateLimiter(clock);
  }

  async take(limit: Limit, key: string | number): Promise<void> {
    if (limit.max === 0) return;
    const client = this.connection.current;
    if (!client) return this.fallback.take(limit, key);
    const { index, retryAfterSeconds } = windowOf(limit, this.clock());
    const id = `${this.prefix}:rate:${limit.name}:${key}:${index}`;
    let count: number;
    try {
      count = await client.send("INCR", [id]);
      if (count === 1) await client.send("EXPIRE", [id, String(limit.windowSeconds + 1)]);
    } catch (error) {
      if (!this.warned) log("error", "rate limit counters unavailable; counting per process", { error: String(error) });
      this.warned = true;
      return this.fallback.take(limit, key);
    }
    this.warned = false;
    if (count > limit.max) throw rateLimited(retryAfterSeconds);
  }
}
