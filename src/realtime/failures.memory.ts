// Failure counters of this process only.
import type { FailureLimiter } from "./failures";
import { type Clock, rateLimited, type WindowLimit, windowOf } from "./rate-limit";

// Past this many counters, those of finished windows are dropped.
const PRUNE_ABOVE = 10_000;

export class MemoryFailureLimiter implements FailureLimiter {
  private readonly counters = new Map<string, { index: number; endsAt: number; count: number }>();

  constructor(private readonly clock: Clock = Date.now) {}

  async check(limit: WindowLimit, key: string): Promise<void> {
    if (limit.max === 0) return;
    const { index, retryAfterSeconds } = windowOf(limit, this.clock());
    const counter = this.counters.get(`${limit.name}:${key}`);
    if (counter && counter.index === index && counter.count >= limit.max) throw rateLimited(retryAfterSeconds);
  }

  async fail(limit: WindowLimit, key: string): Promise<void> {
    if (limit.max === 0) return;
    const now = this.clock();
    const { index, retryAfterSeconds } = windowOf(limit, now);
    const id = `${limit.name}:${key}`;
    const counter = this.counters.get(id);
    const count = counter && counter.index === index ? counter.count + 1 : 1;
    if (this.counters.size > PRUNE_ABOVE) this.prune(now);
    this.counters.set(id, { index, endsAt: now + retryAfterSeconds * 1000, count });
  }

  private prune(now: number): void {
    for (const [id, counter] of this.counters) if (counter.endsAt <= now) this.counters.delete(id);
  }
}
