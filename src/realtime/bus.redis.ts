// The many-process Bus: local delivery at once, and Redis pub/sub to every other process.

import type { ServerEvent } from "../kernel/events";
import { log } from "../log";
import type { Bus, LocalDelivery } from "./bus";
import { RedisConnection } from "./redis";

interface Envelope {
  origin: string;
  topic: string;
  event: ServerEvent;
}

/**
 * Every process subscribes to one channel and re-delivers locally what the others publish.
 * Local sockets are served first and without Redis, so a Redis outage only stops delivery
 * across processes (clients catch up with `since` when they reconnect).
 */
export class RedisBus implements Bus {
  private readonly origin = crypto.randomUUID();
  private readonly publisher: RedisConnection;
  private readonly subscriber: RedisConnection;
  private publishErrorLogged = false;
  private readonly channel: string;

  constructor(
    url: string,
    prefix: string,
    private readonly local: LocalDelivery,
  ) {
    this.channel = `${prefix}:events`;
    this.publisher = new RedisConnection(url, "bus-publisher");
    this.subscriber = new RedisConnection(url, "bus-subscriber", async (client) => {
      await client.subscribe(this.channel, (raw) => this.receive(raw));
    });
  }

  async start(): Promise<void> {
    await Promise.all([this.publisher.start(), this.subscriber.start()]);
  }

  publish(topic: string, event: ServerEvent): void {
    this.local.deliver(topic, event);
    const client = this.publisher.current;
    if (!client) return;
    const envelope: Envelope = { origin: this.origin, topic, event };
    client.publish(this.channel, JSON.stringify(envelope)).then(
      () => {
        this.publishErrorLogged = false;
      },
      (error) => {
        if (this.publishErrorLogged) return;
        this.publishErrorLogged = true;
        log("error", "redis publish failed", { error: String(error) });
      },
    );
  }

  private receive(raw: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(raw) as Envelope;
    } catch {
      return;
    }
    if (envelope.origin !== this.origin) this.local.deliver(envelope.topic, envelope.event);
  }

  async close(): Promise<void> {
    this.publisher.close();
    this.subscriber.close();
  }
}
