// Assembles the shared-state infrastructure: events, presence and rate-limit counters in memory for one process or over Redis for many; the photo store in the database or S3.
import type { Db } from "../db/client";
import { type Bus, LocalDelivery } from "./bus";
import { MemoryBus } from "./bus.memory";
import { PostgresBus } from "./bus.postgres";
import { RedisBus } from "./bus.redis";
import type { PhotoStore, S3Settings } from "./photo-store";
import { DatabasePhotoStore } from "./photo-store.database";
import { S3PhotoStore } from "./photo-store.s3";
import { type Presence, withUserWide } from "./presence";
import { MemoryPresence } from "./presence.memory";
import { RedisPresence } from "./presence.redis";
import type { Clock, RateLimiter } from "./rate-limit";
import { MemoryRateLimiter } from "./rate-limit.memory";
import { RedisRateLimiter } from "./rate-limit.redis";
import { RedisShards, redisServers } from "./shards";
import { WorkerPresence, WorkerRateLimiter } from "./shared.ipc";

export interface Realtime {
  readonly local: LocalDelivery;
  readonly bus: Bus;
  readonly presence: Presence;
  /** Rate-limit counters (requests, and failed attempts), shared by the processes when Redis is there. */
  readonly limiter: RateLimiter;
  /** With Redis: how many users' channels this process is subscribed to (one per user it holds a socket of). */
  readonly channels?: () => number;
  close(): Promise<void>;
}

export interface RealtimeOptions {
  redisUrl: string | null;
  redisPrefix?: string;
  /** The rate limiter's clock (tests move it instead of waiting for a new window). */
  clock?: Clock;
  /**
   * A worker of `serve --workers` (its database's URL): without Redis, events go to the other workers
   * through PostgreSQL LISTEN/NOTIFY, and presence and limits are the supervising parent's (over IPC).
   */
  worker?: { databaseUrl: string };
}

/**
 * The workers of `serve --workers` without Redis share through PostgreSQL and their parent.
 * With a Redis URL (or several, comma-separated: keys and channels spread over them by hash), events,
 * presence and limits cross processes; without one, everything stays local.
 */
export async function createRealtime({
  redisUrl,
  redisPrefix = "mystery-match",
  clock = Date.now,
  worker,
}: RealtimeOptions): Promise<Realtime> {
  const local = new LocalDelivery();
  if (redisUrl === null && worker) {
    const bus = new PostgresBus(worker.databaseUrl, redisPrefix, local);
    await bus.start();
    return {
      local,
      bus,
      presence: withUserWide(new WorkerPresence()),
      limiter: new WorkerRateLimiter(),
      close: () => bus.close(),
    };
  }
  if (redisUrl === null) {
    const bus = new MemoryBus(local);
    const presence = withUserWide(new MemoryPresence());
    return { local, bus, presence, limiter: new MemoryRateLimiter(clock), close: async () => {} };
  }
  const servers = redisServers(redisUrl);
  const bus = new RedisBus(servers, redisPrefix, local);
  const presence = new RedisPresence(servers, redisPrefix);
  const counters = RedisShards.ofClients(servers, "rate-limit");
  await Promise.all([bus.start(), presence.start(), counters.start()]);
  return {
    local,
    bus,
    presence: withUserWide(presence),
    limiter: new RedisRateLimiter(counters, redisPrefix, clock),
    channels: () => bus.channelCount,
    close: async () => {
      await Promise.all([bus.close(), presence.close()]);
      counters.close();
    },
  };
}

/** Photo renditions: with S3 settings in that bucket; without, in the database every process already shares. */
export function createPhotoStore(db: Db, s3: S3Settings | null): PhotoStore {
  return s3 === null ? new DatabasePhotoStore(db) : new S3PhotoStore(s3);
}
