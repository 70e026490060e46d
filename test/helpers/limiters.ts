// Rate limiters as several processes hold them: one RedisRateLimiter per "process" on a throwaway Redis.
import { afterAll, beforeAll } from "bun:test";
import { RedisRateLimiter } from "../../src/realtime/rate-limit.redis";
import { RedisShards } from "../../src/realtime/shards";
import type { ManualClock } from "./app";
import { type ThrowawayRedis, throwawayServers } from "./throwaway";

/**
 * Call inside a describe: starts a throwaway Redis before its tests and closes every connection
 * after them. `on(url, prefix, clock)` is a process's limiter on `url` (a dead one for the fallback).
 */
export function redisLimiters() {
  const servers = throwawayServers();
  let redis: ThrowawayRedis;
  const connections: RedisShards[] = [];
  beforeAll(async () => {
    redis = await servers.redis();
  }, 30_000);
  afterAll(() => {
    for (const connection of connections) connection.close();
  });
  return {
    url: () => redis.url,
    async on(url: string, prefix: string, clock: ManualClock): Promise<RedisRateLimiter> {
      const connection = RedisShards.ofClients([url], "rate-limit");
      connections.push(connection);
      await connection.start();
      return new RedisRateLimiter(connection, prefix, clock.now);
    },
  };
}
