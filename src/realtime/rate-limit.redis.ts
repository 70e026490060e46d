// Rate-limit counters shared by every process through Redis, falling back to this process's own.
import type { RedisClient } from "bun";
import { log } from "../log";
import {
  type BucketLimit,
  bucketRetryAfter,
  type Clock,
  isOff,
  type Limit,
  type RateLimiter,
  rateLimited,
  refillPerMs,
  type WindowLimit,
  windowOf,
} from "./rate-limit";
import { MemoryRateLimiter } from "./rate-limit.memory";
import type { RedisShards } from "./shards";

/**
 * A token bucket in one hash, updated atomically: refill since the last take, then take one token
 * if there is one. Returns the tokens held before the take (as text: Lua numbers lose nothing).
 */
const BUCKET_SCRIPT = `
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local burst, rate, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local held = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
held = math.min(burst, held + math.max(0, now - at) * rate)
local left = held
if held >= 1 then left = held - 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(left), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - left) / rate) + 1000)
return tostring(held)`;

/** A token back into BUCKET_SCRIPT's hash, if it still exists, never above the burst. */
const GIVE_BACK_SCRIPT = `
local held = tonumber(redis.call('HGET', KEYS[1], 'tokens'))
if held then redis.call('HSET', KEYS[1], 'tokens', tostring(math.min(tonumber(ARGV[1]), held + 1))) end
return 0`;

/**
 * Windows: INCR on a key per window, expiring with it (GET to check a failure limit). Buckets:
 * BUCKET_SCRIPT on a hash per key.
 * With several Redis servers, each counter lives on the server its key hashes to.
 * While its Redis is unreachable each process falls back to its own counters, so limits loosen but
 * never vanish.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly fallback: MemoryRateLimiter;
  private warned = false;

  constructor(
    private readonly shards: RedisShards,
    private readonly prefix: string,
    private readonly clock: Clock = Date.now,
  ) {
    this.fallback = new MemoryRateLimiter(clock);
  }

  async take(limit: Limit, key: string | number): Promise<void> {
    if (isOff(limit)) return;
    const now = this.clock();
    const retryAfter = await this.shared(
      limit,
      key,
      () => this.fallback.take(limit, key),
      async (client) => {
        if (limit.kind === "bucket") return this.fromBucket(client, limit, this.bucketKey(limit, key), now);
        const { index, retryAfterSeconds } = windowOf(limit, now);
        return (await this.count(client, limit, key, index)) > limit.max ? retryAfterSeconds : null;
      },
    );
    if (retryAfter !== null) throw rateLimited(retryAfter);
  }

  async check(limit: WindowLimit, key: string): Promise<void> {
    if (isOff(limit)) return;
    const { index, retryAfterSeconds } = windowOf(limit, this.clock());
    const retryAfter = await this.shared(
      limit,
      key,
      () => this.fallback.check(limit, key),
      async (client) => {
        const count = Number((await client.send("GET", [this.windowKey(limit, key, index)])) ?? 0);
        return count >= limit.max ? retryAfterSeconds : null;
      },
    );
    if (retryAfter !== null) throw rateLimited(retryAfter);
  }

  async fail(limit: WindowLimit, key: string): Promise<void> {
    if (isOff(limit)) return;
    const { index } = windowOf(limit, this.clock());
    await this.shared(
      limit,
      key,
      () => this.fallback.fail(limit, key),
      async (client) => {
        await this.count(client, limit, key, index);
        return null;
      },
    );
  }

  async giveBack(limit: BucketLimit, key: string | number): Promise<void> {
    if (isOff(limit)) return;
    await this.shared(
      limit,
      key,
      () => this.fallback.giveBack(limit, key),
      async (client) => {
        await client.send("EVAL", [GIVE_BACK_SCRIPT, "1", this.bucketKey(limit, key), String(limit.burst)]);
        return null;
      },
    );
  }

  /**
   * Runs `inRedis` on the server holding the counter of `key` when it is there, else (or when it
   * fails) `alone`, this process's own counters, logging the switch once. Resolves with the seconds
   * to wait, or null.
   */
  private async shared(
    limit: Limit,
    key: string | number,
    alone: () => Promise<void>,
    inRedis: (client: RedisClient) => Promise<number | null>,
  ): Promise<number | null> {
    const client = this.shards.for(`${limit.name}:${key}`).current;
    if (client) {
      try {
        const retryAfter = await inRedis(client);
        this.warned = false;
        return retryAfter;
      } catch (error) {
        if (!this.warned)
          log("error", "rate limit counters unavailable; counting per process", { error: String(error) });
        this.warned = true;
      }
    }
    await alone();
    return null;
  }

  private bucketKey(limit: BucketLimit, key: string | number): string {
    return `${this.prefix}:bucket:${limit.name}:${key}`;
  }

  private windowKey(limit: WindowLimit, key: string | number, index: number): string {
    return `${this.prefix}:rate:${limit.name}:${key}:${index}`;
  }

  /** INCR on the window's key, expiring with it: the count after this one. */
  private async count(client: RedisClient, limit: WindowLimit, key: string | number, index: number): Promise<number> {
    const id = this.windowKey(limit, key, index);
    const count: number = await client.send("INCR", [id]);
    if (count === 1) await client.send("EXPIRE", [id, String(limit.windowSeconds + 1)]);
    return count;
  }

  private async fromBucket(client: RedisClient, limit: BucketLimit, id: string, now: number): Promise<number | null> {
    const held = Number(
      await client.send("EVAL", [BUCKET_SCRIPT, "1", id, String(limit.burst), String(refillPerMs(limit)), String(now)]),
    );
    return held >= 1 ? null : bucketRetryAfter(limit, held);
  }
}
