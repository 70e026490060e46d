// The single-process Bus: publishing is local delivery.
import type { Bus, LocalDelivery } from "./bus";
import type { ServerEvent } from "./events";

export class MemoryBus implements Bus {
  constructor(private readonly local: LocalDelivery) {}

  publish(topic: string, event: ServerEvent): void {
    this.local.deliver(topic, event);
  }

  async close(): Promise<void> {}
}
