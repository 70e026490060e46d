// Presence across processes: each process records in Redis which users it holds sockets for.
import type { RedisClient } from "bun";
import type { PairPresence, PresenceStatus } from "./presence";
import { MemoryPresence } from "./presence.memory";
import { RedisShards } from "./shards";

const PROCESS_TTL_MS = 30_000;
const HEARTBEAT_MS = 10_000;
const LAST_SEEN_TTL_SECONDS = 30 * 24 * 3600;

/**
 * Lua, shared by the scripts below: whether a process other than ARGV[1] holds a socket for the
 * pair of KEYS[1], i.e. has a field in its hash and a heartbeat key (ARGV[2] .. its id) alive. The
 * heartbeat keys are named in the script, not in KEYS: fine on standalone servers (each holds every
 * heartbeat), which is all REDIS_URL names; a Redis Cluster would refuse it.
 */
const ELSEWHERE = `
local function elsewhere()
  for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
    if field ~= ARGV[1] and redis.call('EXISTS', ARGV[2] .. field) == 1 then return true end
  end
  return false
end`;

/** This process joins the pair's hash; returns 1 if another live process holds a socket for the pair too. */
const JOIN_SCRIPT = `${ELSEWHERE}
redis.call('HSET', KEYS[1], ARGV[1], '1')
redis.call('EXPIRE', KEYS[1], ARGV[3])
if elsewhere() then return 1 end
return 0`;

/** This process leaves the pair's hash; unless another live process still holds it, records last-seen (KEYS[2]) and returns 1. */
const LEAVE_SCRIPT = `${ELSEWHERE}
redis.call('HDEL', KEYS[1], ARGV[1])
if elsewhere() then return 0 end
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
return 1`;

/** Whether another live process holds the pair (1/0), and its last-seen time (KEYS[2]) or nil. */
const STATUS_SCRIPT = `${ELSEWHERE}
return { elsewhere() and 1 or 0, redis.call('GET', KEYS[2]) }`;

/**
 * With several Redis servers, both keys of a match and user live on the server their pair
 * `<match>:<user>` hashes to, and the heartbeat is kept on every server.
 * `presence:<match>:<user>` is a hash whose fields are the ids of processes holding a socket for
 * that user on that match; a process counts only while its heartbeat key lives, so a crashed
 * process stops counting within 30 s. The local counts decide when this process joins or leaves
 * the hash; with Redis unreachable, answers fall back to this process's own view. Each join, leave
 * and status is one script: one round trip.
 */
export class RedisPresence implements PairPresence {
  private readonly processId = crypto.randomUUID();
  private readonly local = new MemoryPresence();
  private readonly shards: RedisShards;
  private heartbeat: ReturnType<typeof setInterval> | null = null;

  private readonly presenceKey = (matchId: number, userId: number) => `${this.prefix}:presence:${matchId}:${userId}`;
  private readonly lastSeenKey = (matchId: number, userId: number) => `${this.prefix}:last-seen:${matchId}:${userId}`;
  private readonly processKeyPrefix: string;

  constructor(
    urls: readonly string[],
    private readonly prefix: string,
  ) {
    this.processKeyPrefix = `${prefix}:process:`;
    this.shards = RedisShards.ofClients(urls, "presence", (client) => this.beat(client));
  }

  async start(): Promise<void> {
    await this.shards.start();
    this.heartbeat = setInterval(() => {
      for (const connection of this.shards.connections) {
        const client = connection.current;
        if (client) this.beat(client).catch(() => {});
      }
    }, HEARTBEAT_MS);
  }

  /** The client of the server holding the keys of `userId` on `matchId`, or null while it is unreachable. */
  private clientFor(matchId: number, userId: number): RedisClient | null {
    return this.shards.for(`${matchId}:${userId}`).current;
  }

  private async beat(client: RedisClient): Promise<void> {
    await client.send("SET", [this.processKeyPrefix + this.processId, "1", "PX", String(PROCESS_TTL_MS)]);
  }

  /** Runs `script` with the pair's two keys, this process's id and heartbeat prefix, then `extra`. */
  private run(client: RedisClient, script: string, matchId: number, userId: number, ...extra: string[]) {
    const keys = [this.presenceKey(matchId, userId), this.lastSeenKey(matchId, userId)];
    return client.send("EVAL", [script, "2", ...keys, this.processId, this.processKeyPrefix, ...extra]);
  }

  async join(matchId: number, userId: number): Promise<boolean> {
    const first = await this.local.join(matchId, userId);
    const client = this.clientFor(matchId, userId);
    if (!first || !client) return first;
    try {
      return (await this.run(client, JOIN_SCRIPT, matchId, userId, String(LAST_SEEN_TTL_SECONDS))) === 0;
    } catch {
      return first;
    }
  }

  async leave(matchId: number, userId: number, now: Date): Promise<boolean> {
    const last = await this.local.leave(matchId, userId, now);
    const client = this.clientFor(matchId, userId);
    if (!last || !client) return last;
    try {
      const args = [now.toISOString(), String(LAST_SEEN_TTL_SECONDS)];
      return (await this.run(client, LEAVE_SCRIPT, matchId, userId, ...args)) === 1;
    } catch {
      return last;
    }
  }

  async status(matchId: number, userId: number): Promise<PresenceStatus> {
    const mine = await this.local.status(matchId, userId);
    const client = this.clientFor(matchId, userId);
    if (!client) return mine;
    try {
      const [elsewhere, stored] = (await this.run(client, STATUS_SCRIPT, matchId, userId)) as [number, string | null];
      return { online: mine.online || elsewhere === 1, lastSeen: stored ? new Date(stored) : mine.lastSeen };
    } catch {
      return mine;
    }
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    await Promise.all(
      this.shards.connections.map((connection) =>
        connection.current?.send("DEL", [this.processKeyPrefix + this.processId]).catch(() => {}),
      ),
    );
    this.shards.close();
  }
}
