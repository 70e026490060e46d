// Failure counters shared by every process through Redis, falling back to this process's own.
import { log } from "../log";
import type { FailureLimiter } from "./failures";
import { MemoryFailureLimiter } from "./failures.memory";
import { type Clock, rateLimited, type WindowLimit, windowOf } from "./rate-limit";
import type { RedisConnection } from "./redis";

/**
 * A key per window: GET to check, INCR to count a failure, expiring with its window. While Redis is
 * unreachable each process falls back to its own counters, so the limits loosen but never vanish.
 */
export class RedisFailureLimiter implements FailureLimiter {
  private readonly fallback: MemoryFailureLimiter;
  private warned = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly prefix: string,
    private readonly clock: Clock = Date.now,
  ) {
    this.fallback = new MemoryFailureLimiter(clock);
  }

  async check(limit: WindowLimit, key: string): Promise<void> {
    if (limit.max === 0) return;
    const client = this.connection.current;
    if (!client) return this.fallback.check(limit, key);
    const { index, retryAfterSeconds } = windowOf(limit, this.clock());
    let count: number;
    try {
      count = Number((await client.send("GET", [this.id(limit, key, index)])) ?? 0);
    } catch (error) {
      this.unavailable(error);
      return this.fallback.check(limit, key);
    }
    this.warned = false;
    if (count >= limit.max) throw rateLimited(retryAfterSeconds);
  }

  async fail(limit: WindowLimit, key: string): Promise<void> {
    if (limit.max === 0) return;
    const client = this.connection.current;
    if (!client) return this.fallback.fail(limit, key);
    const { index } = windowOf(limit, this.clock());
    const id = this.id(limit, key, index);
    try {
      const count: number = await client.send("INCR", [id]);
      if (count === 1) await client.send("EXPIRE", [id, String(limit.windowSeconds + 1)]);
    } catch (error) {
      this.unavailable(error);
      return this.fallback.fail(limit, key);
    }
    this.warned = false;
  }

  private id(limit: WindowLimit, key: string, index: number): string {
    return `${this.prefix}:failures:${limit.name}:${key}:${index}`;
  }

  private unavailable(error: unknown): void {
    if (!this.warned) log("error", "failure counters unavailable; counting per process", { error: String(error) });
    this.warned = true;
  }
}
