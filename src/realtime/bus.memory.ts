// The single-process Bus: publishing is local delivery.

import type { ServerEvent } from "../kernel/events";
import type { Bus, LocalDelivery } from "./bus";

export class MemoryBus implements Bus {
  constructor(private readonly local: LocalDelivery) {}

  publish(topic: string, event: ServerEvent): void {
    this.local.deliver(topic, event);
  }

  /** Every event is here already. */
  async claim(): Promise<void> {}

  release(): void {}

  async close(): Promise<void> {}
}
