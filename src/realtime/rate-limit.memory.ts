// Rate-limit counters of this process only.
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

// Past this many counters, those that no longer hold anything (a finished window, a full bucket) are dropped.
const PRUNE_ABOVE = 10_000;

interface Counter {
  /** The window's index, or for a bucket the time of its last take. */
  at: number;
  /** Requests counted in the window, or tokens left in the bucket. */
  value: number;
  /** From then on the counter holds nothing the default would not give. */
  idleAt: number;
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly counters = new Map<string, Counter>();

  constructor(private readonly clock: Clock = Date.now) {}

  async take(limit: Limit, key: string | number): Promise<void> {
    if (isOff(limit)) return;
    const now = this.clock();
    if (this.counters.size > PRUNE_ABOVE) this.prune(now);
    const id = `${limit.name}:${key}`;
    const retryAfter = limit.kind === "window" ? this.inWindow(limit, id, now) : this.fromBucket(limit, id, now);
    if (retryAfter !== null) throw rateLimited(retryAfter);
  }

  async check(limit: WindowLimit, key: string): Promise<void> {
    if (isOff(limit)) return;
    const { index, retryAfterSeconds } = windowOf(limit, this.clock());
    const counter = this.counters.get(`${limit.name}:${key}`);
    if (counter && counter.at === index && counter.value >= limit.max) throw rateLimited(retryAfterSeconds);
  }

  async fail(limit: WindowLimit, key: string): Promise<void> {
    if (isOff(limit)) return;
    const now = this.clock();
    if (this.counters.size > PRUNE_ABOVE) this.prune(now);
    this.inWindow(limit, `${limit.name}:${key}`, now);
  }

  async giveBack(limit: BucketLimit, key: string | number): Promise<void> {
    const counter = this.counters.get(`${limit.name}:${key}`);
    if (isOff(limit) || !counter) return;
    counter.value = Math.min(limit.burst, counter.value + 1);
    counter.idleAt = counter.at + (limit.burst - counter.value) / refillPerMs(limit);
  }

  /** Counts one in the window's counter; the seconds to wait when that took it past the limit, else null. */
  private inWindow(limit: WindowLimit, id: string, now: number): number | null {
    const { index, retryAfterSeconds } = windowOf(limit, now);
    const counter = this.counters.get(id);
    const count = counter && counter.at === index ? counter.value + 1 : 1;
    this.counters.set(id, { at: index, value: count, idleAt: now + retryAfterSeconds * 1000 });
    return count > limit.max ? retryAfterSeconds : null;
  }

  private fromBucket(limit: BucketLimit, id: string, now: number): number | null {
    const counter = this.counters.get(id);
    const held = counter ? Math.min(limit.burst, counter.value + (now - counter.at) * refillPerMs(limit)) : limit.burst;
    const tokens = held >= 1 ? held - 1 : held;
    const idleAt = now + (limit.burst - tokens) / refillPerMs(limit);
    this.counters.set(id, { at: now, value: tokens, idleAt });
    return held >= 1 ? null : bucketRetryAfter(limit, held);
  }

  private prune(now: number): void {
    for (const [id, counter] of this.counters) if (counter.idleAt <= now) this.counters.delete(id);
  }
}
