// Presence and rate limits of `serve --workers` without Redis: held by the supervising parent, asked over IPC.
import type { PairPresence, PresenceStatus } from "./presence";
import { MemoryPresence } from "./presence.memory";
import {
  type BucketLimit,
  type Clock,
  isOff,
  isRateLimited,
  type Limit,
  type RateLimiter,
  rateLimited,
  type WindowLimit,
} from "./rate-limit";
import { MemoryRateLimiter } from "./rate-limit.memory";

/** A worker's question to the parent. */
export type SharedRequest =
  | { kind: "shared"; id: number; op: "join" | "leave"; matchId: number; userId: number; now?: string }
  | { kind: "shared"; id: number; op: "status"; matchId: number; userId: number }
  | { kind: "shared"; id: number; op: "take"; limit: Limit; key: string | number }
  | { kind: "shared"; id: number; op: "check" | "fail"; limit: WindowLimit; key: string }
  | { kind: "shared"; id: number; op: "giveBack"; limit: BucketLimit; key: string | number };

/** The parent's answer: a boolean (join, leave), a status, or the seconds to wait (null: go ahead). */
export interface SharedReply {
  kind: "shared";
  id: number;
  value: boolean | { online: boolean; lastSeen: string | null } | number | null;
}

const pairKey = (matchId: number, userId: number) => `${matchId}:${userId}`;

/**
 * The parent's side: which workers hold a socket of each user on each match, last-seen times, and
 * the rate-limit counters of every worker together. A worker that dies stops counting at once.
 */
export class SharedState {
  private readonly holders = new Map<string, Set<number>>();
  private readonly lastSeen = new Map<string, string>();
  private readonly limiter: MemoryRateLimiter;

  constructor(clock: Clock = Date.now) {
    this.limiter = new MemoryRateLimiter(clock);
  }

  async answer(worker: number, request: SharedRequest): Promise<SharedReply> {
    return { kind: "shared", id: request.id, value: await this.value(worker, request) };
  }

  private async value(worker: number, request: SharedRequest): Promise<SharedReply["value"]> {
    switch (request.op) {
      case "join": {
        const key = pairKey(request.matchId, request.userId);
        const holders = this.holders.get(key) ?? new Set();
        const first = holders.size === 0;
        holders.add(worker);
        this.holders.set(key, holders);
        return first;
      }
      case "leave":
        return this.leave(worker, pairKey(request.matchId, request.userId), request.now ?? new Date().toISOString());
      case "status": {
        const key = pairKey(request.matchId, request.userId);
        return { online: (this.holders.get(key)?.size ?? 0) > 0, lastSeen: this.lastSeen.get(key) ?? null };
      }
      case "take":
        return retryAfterOf(() => this.limiter.take(request.limit, request.key));
      case "check":
        return retryAfterOf(() => this.limiter.check(request.limit, request.key));
      case "fail":
        await this.limiter.fail(request.limit, request.key);
        return null;
      case "giveBack":
        await this.limiter.giveBack(request.limit, request.key);
        return null;
    }
  }

  private leave(worker: number, key: string, now: string): boolean {
    const holders = this.holders.get(key);
    if (!holders?.delete(worker)) return false;
    if (holders.size > 0) return false;
    this.holders.delete(key);
    this.lastSeen.set(key, now);
    return true;
  }

  /** A worker exited: its sockets are gone, so its users are last seen now unless another worker holds them. */
  workerGone(worker: number): void {
    const now = new Date().toISOString();
    for (const [key, holders] of [...this.holders]) if (holders.has(worker)) this.leave(worker, key, now);
  }
}

async function retryAfterOf(take: () => Promise<void>): Promise<number | null> {
  try {
    await take();
    return null;
  } catch (error) {
    if (isRateLimited(error)) return Number(error.headers["retry-after"]);
    throw error;
  }
}

type Pending = (value: SharedReply["value"]) => void;

/** The worker's side: questions to the parent over the IPC channel Bun.spawn opened, answers by id. */
class ParentChannel {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();

  constructor() {
    process.on("message", (message: SharedReply) => {
      if (message?.kind !== "shared") return;
      this.pending.get(message.id)?.(message.value);
      this.pending.delete(message.id);
    });
  }

  // biome-ignore lint/suspicious/noExplicitAny: a request without its id, whichever kind it is
  ask(request: any): Promise<SharedReply["value"]> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      process.send!({ ...request, kind: "shared", id } satisfies SharedRequest);
    });
  }
}

let channel: ParentChannel | null = null;
const parent = () => {
  channel ??= new ParentChannel();
  return channel;
};

/** Presence as the parent counts it, after this worker's own counts (so only a first or last socket asks). */
export class WorkerPresence implements PairPresence {
  private readonly local = new MemoryPresence();

  async join(matchId: number, userId: number): Promise<boolean> {
    if (!(await this.local.join(matchId, userId))) return false;
    return (await parent().ask({ op: "join", matchId, userId })) as boolean;
  }

  async leave(matchId: number, userId: number, now: Date): Promise<boolean> {
    if (!(await this.local.leave(matchId, userId, now))) return false;
    return (await parent().ask({ op: "leave", matchId, userId, now: now.toISOString() })) as boolean;
  }

  async status(matchId: number, userId: number): Promise<PresenceStatus> {
    const { online, lastSeen } = (await parent().ask({ op: "status", matchId, userId })) as {
      online: boolean;
      lastSeen: string | null;
    };
    return { online, lastSeen: lastSeen === null ? null : new Date(lastSeen) };
  }

  async close(): Promise<void> {}
}

/** Rate limits counted by the parent for every worker together. */
export class WorkerRateLimiter implements RateLimiter {
  async take(limit: Limit, key: string | number): Promise<void> {
    if (isOff(limit)) return;
    const retryAfter = await parent().ask({ op: "take", limit, key });
    if (retryAfter !== null) throw rateLimited(retryAfter as number);
  }

  async check(limit: WindowLimit, key: string): Promise<void> {
    if (isOff(limit)) return;
    const retryAfter = await parent().ask({ op: "check", limit, key });
    if (retryAfter !== null) throw rateLimited(retryAfter as number);
  }

  async fail(limit: WindowLimit, key: string): Promise<void> {
    if (isOff(limit)) return;
    await parent().ask({ op: "fail", limit, key });
  }

  async giveBack(limit: BucketLimit, key: string | number): Promise<void> {
    if (isOff(limit)) return;
    await parent().ask({ op: "giveBack", limit, key });
  }
}
