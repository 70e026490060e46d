// Presence across processes: each process records in Redis which users it holds sockets for.
import type { RedisClient } from "bun";
import type { PairPresence, PresenceStatus } from "./presence";
import { MemoryPresence } from "./presence.memory";
import { RedisShards } from "./shards";

const PROCESS_TTL_MS = 30_000;
const HEARTBEAT_MS = 10_000;
const LAST_SEEN_TTL_SECONDS = 30 * 24 * 3600;

/**
 * With several Redis servers, both keys of a match and user live on the server their pair
 * `<match>:<user>` hashes to, and the heartbeat is kept on every server.
 * `presence:<match>:<user>` is a hash whose fields are the ids of processes holding a socket for
 * that user on that match; a process counts only while its heartbeat key lives, so a crashed
 * process stops counting within 30 s. The local counts decide when this process joins or leaves
 * the hash; with Redis unreachable, answers fall back to this process's own view.
 */
export class RedisPresence implements PairPresence {
  private readonly processId = crypto.randomUUID();
  private readonly local = new MemoryPresence();
  private readonly shards: RedisShards;
  private heartbeat: ReturnType<typeof setInterval> | null = null;

  private readonly presenceKey = (matchId: number, userId: number) => `${this.prefix}:presence:${matchId}:${userId}`;
  private readonly lastSeenKey = (matchId: number, userId: number) => `${this.prefix}:last-seen:${matchId}:${userId}`;
  private readonly processKey = (processId: string) => `${this.prefix}:process:${processId}`;

  constructor(
    urls: readonly string[],
    private readonly prefix: string,
  ) {
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
    await client.send("SET", [this.processKey(this.processId), "1", "PX", String(PROCESS_TTL_MS)]);
  }

  /** Whether any process other than this one holds a socket for the user on the match. */
  private async elsewhere(client: RedisClient, matchId: number, userId: number): Promise<boolean> {
    const fields: string[] = await client.send("HKEYS", [this.presenceKey(matchId, userId)]);
    const others = fields.filter((field) => field !== this.processId);
    if (others.length === 0) return false;
    const alive: number = await client.send("EXISTS", others.map(this.processKey));
    return alive > 0;
  }

  async join(matchId: number, userId: number): Promise<boolean> {
    const first = await this.local.join(matchId, userId);
    const client = this.clientFor(matchId, userId);
    if (!first || !client) return first;
    try {
      const onlineElsewhere = await this.elsewhere(client, matchId, userId);
      await client.send("HSET", [this.presenceKey(matchId, userId), this.processId, "1"]);
      await client.send("EXPIRE", [this.presenceKey(matchId, userId), String(LAST_SEEN_TTL_SECONDS)]);
      return !onlineElsewhere;
    } catch {
      return first;
    }
  }

  async leave(matchId: number, userId: number, now: Date): Promise<boolean> {
    const last = await this.local.leave(matchId, userId, now);
    const client = this.clientFor(matchId, userId);
    if (!last || !client) return last;
    try {
      await client.send("HDEL", [this.presenceKey(matchId, userId), this.processId]);
      if (await this.elsewhere(client, matchId, userId)) return false;
      await client.send("SET", [
        this.lastSeenKey(matchId, userId),
        now.toISOString(),
        "EX",
        String(LAST_SEEN_TTL_SECONDS),
      ]);
      return true;
    } catch {
      return last;
    }
  }

  async status(matchId: number, userId: number): Promise<PresenceStatus> {
    const mine = await this.local.status(matchId, userId);
    const client = this.clientFor(matchId, userId);
    if (!client) return mine;
    try {
      const online = mine.online || (await this.elsewhere(client, matchId, userId));
      const stored: string | null = await client.send("GET", [this.lastSeenKey(matchId, userId)]);
      const lastSeen = stored ? new Date(stored) : mine.lastSeen;
      return { online, lastSeen };
    } catch {
      return mine;
    }
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    await Promise.all(
      this.shards.connections.map((connection) =>
        connection.current?.send("DEL", [this.processKey(this.processId)]).catch(() => {}),
      ),
    );
    this.shards.close();
  }
}
