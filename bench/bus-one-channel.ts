// Baseline for bench/bus.ts: the Redis bus as it was before per-user channels (src/realtime/bus.redis.ts
// at commit 9f154fd): every process publishes every event on one channel and reads every event.
import type { ServerEvent } from "../src/kernel/events";
import type { Bus, LocalDelivery } from "../src/realtime/bus";
import { openClient, RedisConnection } from "../src/realtime/redis";

interface Envelope {
  origin: string;
  topic: string;
  event: ServerEvent;
}

export class OneChannelBus implements Bus {
  private readonly origin = crypto.randomUUID();
  private readonly publisher: RedisConnection;
  private readonly subscriber: RedisConnection;
  private readonly channel: string;

  constructor(
    url: string,
    prefix: string,
    private readonly local: LocalDelivery,
  ) {
    this.channel = `${prefix}:events`;
    this.publisher = new RedisConnection(url, "bus-publisher", openClient);
    this.subscriber = new RedisConnection(url, "bus-subscriber", openClient, async (client) => {
      await client.subscribe(this.channel, (raw) => this.receive(raw));
    });
  }

  async start(): Promise<void> {
    await Promise.all([this.publisher.start(), this.subscriber.start()]);
  }

  publish(topic: string, event: ServerEvent): void {
    this.local.deliver(topic, event);
    const envelope: Envelope = { origin: this.origin, topic, event };
    this.publisher.current?.publish(this.channel, JSON.stringify(envelope)).catch(() => {});
  }

  async claim(): Promise<void> {}

  release(): void {}

  private receive(raw: string): void {
    const envelope = JSON.parse(raw) as Envelope;
    if (envelope.origin !== this.origin) this.local.deliver(envelope.topic, envelope.event);
  }

  async close(): Promise<void> {
    this.publisher.close();
    this.subscriber.close();
  }
}
