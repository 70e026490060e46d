// Several Redis servers chosen by key: a stable hash maps every key and channel to one of them.
import type { RedisClient } from "bun";
import { type Closable, type Opener, openClient, RedisConnection } from "./redis";

/** The servers of a REDIS_URL: one URL, or several separated by commas. */
export const redisServers = (redisUrl: string): string[] =>
  redisUrl
    .split(",")
    .map((url) => url.trim())
    .filter((url) => url.length > 0);

/** What names a server in the hash: host, port and database, never the password (processes may spell it apart). */
function serverIdentity(url: string): string {
  const parsed = new URL(url);
  const database = parsed.pathname.replace(/^\/+/, "") || "0";
  return `${parsed.hostname.toLowerCase()}:${parsed.port || "6379"}/${database}`;
}

/** FNV-1a over UTF-16 code units, then murmur3's finalizer so that nearby strings land far apart. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Rendezvous hashing: `key` goes to the server whose hash with it is highest. Every process given
 * the same servers (in any order) picks the same one, and adding a server moves only the keys it wins.
 */
export function serverFor(identities: readonly string[], key: string): number {
  let best = 0;
  let bestScore = -1;
  for (let i = 0; i < identities.length; i++) {
    const score = hash32(`${identities[i]}\n${key}`);
    if (score > bestScore || (score === bestScore && identities[i]! < identities[best]!)) {
      best = i;
      bestScore = score;
    }
  }
  return best;
}

/**
 * One connection of a role (publisher, presence, …) to each server. Each one reconnects by itself,
 * so a server that goes away degrades only the keys it holds and comes back on its own.
 */
export class RedisShards<C extends Closable = RedisClient> {
  readonly connections: RedisConnection<C>[];
  private readonly identities: string[];

  constructor(
    urls: readonly string[],
    name: string,
    open: Opener<C>,
    onConnect?: (client: C, index: number) => Promise<void>,
  ) {
    this.identities = urls.map(serverIdentity);
    this.connections = urls.map(
      (url, index) =>
        new RedisConnection(url, urls.length === 1 ? name : `${name}#${index}`, open, (client) =>
          onConnect ? onConnect(client, index) : Promise.resolve(),
        ),
    );
  }

  /** Bun's RedisClient to each server: what every role but the bus's subscriber uses. */
  static ofClients(
    urls: readonly string[],
    name: string,
    onConnect?: (client: RedisClient, index: number) => Promise<void>,
  ): RedisShards<RedisClient> {
    return new RedisShards(urls, name, openClient, onConnect);
  }

  /** The index of the server that holds `key`. */
  indexOf(key: string): number {
    return this.connections.length === 1 ? 0 : serverFor(this.identities, key);
  }

  /** The connection to the server that holds `key`. */
  for(key: string): RedisConnection<C> {
    return this.connections[this.indexOf(key)]!;
  }

  async start(): Promise<void> {
    await Promise.all(this.connections.map((connection) => connection.start()));
  }

  close(): void {
    for (const connection of this.connections) connection.close();
  }
}
