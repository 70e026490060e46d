// Assembles the shared-state infrastructure (events, presence, rate-limit counters): in memory for one process, over Redis for many.
import { type Bus, LocalDelivery } from "./bus";
import { MemoryBus } from "./bus.memory";
import { RedisBus } from "./bus.redis";
import type { Presence } from "./presence";
import { MemoryPresence } from "./presence.memory";
import { RedisPresence } from "./presence.redis";
import type { Clock, RateLimiter } from "./rate-limit";
import { MemoryRateLimiter } from "./rate-limit.memory";
import { RedisRateLimiter } from "./rate-limit.redis";
import { RedisShards, redisServers } from "./shards";

export interface Realtime {
  readonly local: LocalDelivery;
  readonly bus: Bus;
  readonly presence: Presence;
  /** Rate-limit counters (requests, and failed attempts), shared by the processes when Redis is there. */
  readonly limiter: RateLimiter;
  close(): Promise<void>;
}

export interface RealtimeOptions {
  redisUrl: string | null;
  redisPrefix?: string;
  /** The rate limiter's clock (tests move it instead of waiting for a new window). */
  clock?: Clock;
}

/**
 * With a Redis URL (or several, comma-separated: keys and channels spread over them by hash), events,
 * presence and limits cross processes; without one, everything stays local.
 */
export async function createRealtime({
  redisUrl,
  redisPrefix = "mystery-match",
  clock = Date.now,
}: RealtimeOptions): Promise<Realtime> {
  const local = new LocalDelivery();
  if (redisUrl === null) {
    const bus = new MemoryBus(local);
    const presence = new MemoryPresence();
    return { local, bus, presence, limiter: new MemoryRateLimiter(clock), close: async () => {} };
  }
  const servers = redisServers(redisUrl);
  const bus = new RedisBus(servers, redisPrefix, local);
  const presence = new RedisPresence(servers, redisPrefix);
  const counters = new RedisShards(servers, "rate-limit");
  await Promise.all([bus.start(), presence.start(), counters.start()]);
  return {
    local,
    bus,
    presence,
    limiter: new RedisRateLimiter(counters, redisPrefix, clock),
    close: async () => {
      await Promise.all([bus.close(), presence.close()]);
      counters.close();
    },
  };
}
