// Fixed-window rate limits per key: in memory for one process, in Redis across processes.
import { log } from "../log";
import type { RedisConnection } from "../realtime/redis";
import { AppError } from "./errors";

export interface Limit {
  /** Names the counter, e.g. "send" or "auth". */
  readonly name: string;
  /** Requests allowed per window; 0 turns the limit off. */
  readonly max: number;
  readonly windowSeconds: number;
}

export interface RateLimiter {
  /** Counts one request of `key` against `limit`; throws 429 rate_limited past it. */
  take(limit: Limit, key: string | number, now?: number): Promise<void>;
}

const rateLimited = (retryAfterSeconds: number) =>
  new AppError(429, "rate_limited", `Too many requests; try again in ${retryAfterSeconds} s`, {
    "retry-after": String(retryAfterSeconds),
  });

function windowOf(limit: Limit, now: number) {
  const size = limit.windowSeconds * 1000;
  const index = Math.floor(now / size);
  return { index, retryAfterSeconds: Math.max(1, Math.ceil(((index + 1) * size - now) / 1000)) };
}

// Past this many counters, those of finished windows are dropped.
const PRUNE_ABOVE = 10_000;

/** Counters of this process only. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly counters = new Map<string, { index: number; endsAt: number; count: number }>();

  async take(limit: Limit, key: string | number, now = Date.now()): Promise<void> {
    if (limit.max === 0) return;
    const { index, retryAfterSeconds } = windowOf(limit, now);
    const id = `${limit.name}:${key}`;
    const counter = this.counters.get(id);
    const count = counter && counter.index === index ? counter.count + 1 : 1;
    if (this.counters.size > PRUNE_ABOVE) this.prune(now);
    this.counters.set(id, { index, endsAt: now + retryAfterSeconds * 1000, count });
    if (count > limit.max) throw rateLimited(retryAfterSeconds);
  }

  private prune(now: number): void {
    for (const [id, counter] of this.counters) if (counter.endsAt <= now) this.counters.delete(id);
  }
}

/**
 * Counters shared by every process: INCR on a key per window, expiring with it. While Redis is
 * unreachable each process falls back to its own counters, so limits loosen but never vanish.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly fallback = new MemoryRateLimiter();
  private warned = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly prefix: string,
  ) {}

  async take(limit: Limit, key: string | number, now = Date.now()): Promise<void> {
    if (limit.max === 0) return;
    const client = this.connection.current;
    if (!client) return this.fallback.take(limit, key, now);
    const { index, retryAfterSeconds } = windowOf(limit, now);
    const id = `${this.prefix}:rate:${limit.name}:${key}:${index}`;
    let count: number;
    try {
      count = await client.send("INCR", [id]);
      if (count === 1) await client.send("EXPIRE", [id, String(limit.windowSeconds + 1)]);
    } catch (error) {
      if (!this.warned) log("error", "rate limit counters unavailable; counting per process", { error: String(error) });
      this.warned = true;
      return this.fallback.take(limit, key, now);
    }
    this.warned = false;
    if (count > limit.max) throw rateLimited(retryAfterSeconds);
  }
}

/** The limits of the contract, from the configured rates. */
export function limitsOf(rates: { sendsPerMinute: number; findMatchesPerMinute: number; authPerMinute: number }) {
  return {
    send: { name: "send", max: rates.sendsPerMinute, windowSeconds: 60 },
    findMatch: { name: "find-match", max: rates.findMatchesPerMinute, windowSeconds: 60 },
    auth: { name: "auth", max: rates.authPerMinute, windowSeconds: 60 },
  } satisfies Record<string, Limit>;
}
