// The many-process Bus: local delivery at once, and Redis pub/sub on one channel per recipient user.

import type { RedisClient } from "bun";
import type { ServerEvent } from "../kernel/events";
import { log } from "../log";
import type { Bus, LocalDelivery } from "./bus";
import { RedisSubscriber } from "./redis-subscriber";
import { RedisShards } from "./shards";
import { recipientOf } from "./topics";

/** An event for `topic`, or word that `catchUp`'s events could not all be published (LocalDelivery.catchUp). */
type Envelope = { origin: string; topic: string; event: ServerEvent } | { origin: string; catchUp: number };

/** Channels per SUBSCRIBE when a reconnected server is given every channel again. */
const RESUBSCRIBE_BATCH = 1000;

/**
 * An event for user U goes out on U's channel (`<prefix>:u:<U>`, on the Redis server that the key
 * hash picks for it), and a process subscribes to U's channel only while it holds a claim for U (a
 * socket of U, or an upgrade of U being checked): an event is read only by the processes that
 * deliver it. Subscribes and unsubscribes made in the same turn of the event loop go out as one
 * command per server; a server that reconnects is given every claimed channel again.
 * Local sockets are served first and without Redis, so a Redis outage only stops delivery across
 * processes. Nothing is lost silently: once a server is back, the sockets of every user whose
 * events may have gone missing there are closed to catch up (LocalDelivery.catchUp) — on a fresh
 * subscriber connection, every user of that server this process holds; on a fresh publisher
 * connection, a catch-up envelope goes to each user this process could not publish to meanwhile.
 */
export class RedisBus implements Bus {
  private readonly origin = crypto.randomUUID();
  /** How every envelope this process publishes begins (JSON.stringify keeps the order of the keys). */
  private readonly ownPrefix = `{"origin":${JSON.stringify(this.origin)},`;
  private readonly publishers: RedisShards;
  private readonly subscribers: RedisShards<RedisSubscriber>;
  private publishErrorLogged = false;
  /** Per server, the users an event could not be published to there: told to catch up once it is back. */
  private readonly unsent: Set<number>[];
  /** Claims held per user. */
  private readonly claims = new Map<number, number>();
  /** Per server, the users whose channel its current subscriber connection is subscribed to (or being). */
  private readonly subscribed: Set<number>[];
  /** Users whose subscription may differ from their claims, settled by the next flush. */
  private readonly dirty = new Set<number>();
  /** Claims waiting for their channel's SUBSCRIBE to be acknowledged. */
  private readonly waiting = new Map<number, Array<() => void>>();
  private flushScheduled = false;

  constructor(
    urls: readonly string[],
    private readonly prefix: string,
    private readonly local: LocalDelivery,
  ) {
    this.subscribed = urls.map(() => new Set());
    this.unsent = urls.map(() => new Set());
    this.publishers = RedisShards.ofClients(urls, "bus-publisher", (client, index) =>
      this.announceUnsent(client, index),
    );
    this.subscribers = new RedisShards(
      urls,
      "bus-subscriber",
      (url) => RedisSubscriber.connect(url, (_, raw) => this.deliver(raw)),
      (client, index) => this.resubscribe(client, index),
    );
  }

  async start(): Promise<void> {
    await Promise.all([this.publishers.start(), this.subscribers.start()]);
  }

  private channelOf(userId: number): string {
    return `${this.prefix}:u:${userId}`;
  }

  /** How many users' channels this process is subscribed to (for /metrics and tests). */
  get channelCount(): number {
    return this.subscribed.reduce((sum, users) => sum + users.size, 0);
  }

  publish(topic: string, event: ServerEvent): void {
    this.local.deliver(topic, event);
    const recipient = recipientOf(topic);
    const channel = this.channelOf(recipient);
    const index = this.publishers.indexOf(channel);
    const client = this.publishers.connections[index]!.current;
    if (!client) return void this.unsent[index]!.add(recipient);
    const envelope: Envelope = { origin: this.origin, topic, event };
    client.publish(channel, JSON.stringify(envelope)).then(
      () => {
        this.publishErrorLogged = false;
      },
      (error) => {
        this.unsent[index]!.add(recipient);
        if (this.publishErrorLogged) return;
        this.publishErrorLogged = true;
        log("error", "redis publish failed", { error: String(error) });
      },
    );
  }

  /** A fresh publisher connection to server `index`: the users whose events did not go out there are told to catch up. */
  private async announceUnsent(client: RedisClient, index: number): Promise<void> {
    const users = [...this.unsent[index]!];
    if (users.length === 0) return;
    await Promise.all(
      users.map((userId) =>
        client.publish(
          this.channelOf(userId),
          JSON.stringify({ origin: this.origin, catchUp: userId } satisfies Envelope),
        ),
      ),
    );
    for (const userId of users) this.unsent[index]!.delete(userId);
    log("info", "bus: users told to catch up after events went unpublished", { server: index, users: users.length });
  }

  async claim(userId: number): Promise<void> {
    this.claims.set(userId, (this.claims.get(userId) ?? 0) + 1);
    const index = this.subscribers.indexOf(this.channelOf(userId));
    // Subscribed already (the SUBSCRIBE may still be in flight: then wait for it too).
    if (this.subscribed[index]!.has(userId) && !this.waiting.has(userId)) return;
    // With that server unreachable there is nothing to wait for: its reconnect subscribes every claim.
    if (!this.subscribers.connections[index]!.current) return this.markDirty(userId);
    await new Promise<void>((resolve) => {
      const list = this.waiting.get(userId);
      if (list) list.push(resolve);
      else this.waiting.set(userId, [resolve]);
      this.markDirty(userId);
    });
  }

  release(userId: number): void {
    const left = (this.claims.get(userId) ?? 1) - 1;
    if (left > 0) return void this.claims.set(userId, left);
    this.claims.delete(userId);
    this.markDirty(userId);
  }

  private markDirty(userId: number): void {
    this.dirty.add(userId);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Brings every dirty user's subscription in line with their claims: one SUBSCRIBE and one UNSUBSCRIBE per server. */
  private flush(): void {
    this.flushScheduled = false;
    const add = this.subscribed.map((): number[] => []);
    const remove = this.subscribed.map((): number[] => []);
    for (const userId of this.dirty) {
      const index = this.subscribers.indexOf(this.channelOf(userId));
      const wanted = this.claims.has(userId);
      const held = this.subscribed[index]!.has(userId);
      if (wanted && !held) add[index]!.push(userId);
      else if (!wanted && held) remove[index]!.push(userId);
      else if (!this.subscribers.connections[index]!.current) this.wake([userId]);
    }
    this.dirty.clear();
    this.subscribed.forEach((users, index) => {
      const client = this.subscribers.connections[index]!.current;
      if (!client) {
        // Unreachable: the reconnect subscribes every claim; meanwhile nothing is waited for.
        this.wake(add[index]!);
        return;
      }
      if (add[index]!.length > 0) {
        for (const userId of add[index]!) users.add(userId);
        this.subscribe(client, add[index]!).finally(() => this.wake(add[index]!));
      }
      if (remove[index]!.length > 0) {
        for (const userId of remove[index]!) users.delete(userId);
        client.unsubscribe(remove[index]!.map((userId) => this.channelOf(userId))).catch(() => {});
      }
    });
  }

  private async subscribe(client: RedisSubscriber, userIds: readonly number[]): Promise<void> {
    try {
      await client.subscribe(userIds.map((userId) => this.channelOf(userId)));
    } catch (error) {
      log("error", "redis subscribe failed", { error: String(error), channels: userIds.length });
    }
  }

  private wake(userIds: readonly number[]): void {
    for (const userId of userIds) {
      const list = this.waiting.get(userId);
      this.waiting.delete(userId);
      for (const resolve of list ?? []) resolve();
    }
  }

  /** A fresh subscriber connection to server `index`: every claimed channel of that server again. */
  private async resubscribe(client: RedisSubscriber, index: number): Promise<void> {
    const users = [...this.claims.keys()].filter(
      (userId) => this.subscribers.indexOf(this.channelOf(userId)) === index,
    );
    for (let i = 0; i < users.length; i += RESUBSCRIBE_BATCH) {
      await client.subscribe(users.slice(i, i + RESUBSCRIBE_BATCH).map((userId) => this.channelOf(userId)));
    }
    this.subscribed[index] = new Set(users);
    // Claims made or given up while this ran are settled by a flush, once this connection is current.
    for (const userId of [...users, ...this.claims.keys()]) {
      if (this.subscribers.indexOf(this.channelOf(userId)) === index) this.markDirty(userId);
    }
    // Their events of the time without this connection were not heard here.
    if (users.length === 0) return;
    const sockets = this.local.catchUp(users);
    log("info", "bus: sockets closed to catch up after the subscriber reconnected", { server: index, sockets });
  }

  private deliver(raw: string): void {
    // This process's own events (it holds a socket of their recipient too) were delivered at publish: not parsed again.
    if (raw.startsWith(this.ownPrefix)) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(raw) as Envelope;
    } catch {
      return;
    }
    if ("catchUp" in envelope) this.local.catchUp([envelope.catchUp]);
    else this.local.deliver(envelope.topic, envelope.event);
  }

  async close(): Promise<void> {
    this.publishers.close();
    this.subscribers.close();
  }
}
