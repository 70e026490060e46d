// Assembles the shared-state infrastructure (events, presence, rate-limit counters): in memory for one process, over Redis for many.
import { MemoryRateLimiter, type RateLimiter, RedisRateLimiter } from "../http/rate-limit";
import { type Bus, LocalDelivery } from "./bus";
import { MemoryBus } from "./bus.memory";
import { RedisBus } from "./bus.redis";
import type { Presence } from "./presence";
import { MemoryPresence } from "./presence.memory";
import { RedisPresence } from "./presence.redis";
import { RedisConnection } from "./redis";

export interface Realtime {
  readonly local: LocalDelivery;
  readonly bus: Bus;
  readonly presence: Presence;
  /** Rate-limit counters, shared by the processes when Redis is there. */
  readonly limiter: RateLimiter;
  close(): Promise<void>;
}

/** With a Redis URL, events and presence cross processes; without one, everything stays local. */
export async function createRealtime(redisUrl: string | null, redisPrefix = "mystery-match"): Promise<Realtime> {
  const local = new LocalDelivery();
  if (redisUrl === null) {
    const bus = new MemoryBus(local);
    const presence = new MemoryPresence();
    return { local, bus, presence, limiter: new MemoryRateLimiter(), close: async () => {} };
  }
  const bus = new RedisBus(redisUrl, redisPrefix, local);
  const presence = new RedisPresence(redisUrl, redisPrefix);
  const counters = new RedisConnection(redisUrl, "rate-limit");
  await Promise.all([bus.start(), presence.start(), counters.start()]);
  return {
    local,
    bus,
    presence,
    limiter: new RedisRateLimiter(counters, redisPrefix),
    close: async () => {
      await Promise.all([bus.close(), presence.close()]);
      counters.close();
    },
  };
}
