// The Bus: "deliver this event to topic T on every process", and the local delivery it ends in.
import type { Server, ServerWebSocket } from "bun";
import { MATCH_ENDED_CLOSE_CODE, type ServerEvent } from "./events";
import { participantTopic } from "./topics";

export interface Bus {
  /**
   * Delivers `event` to every socket subscribed to `topic`, on this process and every other one.
   * Callers publish only after the rows the event describes have committed.
   */
  publish(topic: string, event: ServerEvent): void;
  close(): Promise<void>;
}

// Typing is the one event a slow reader may lose: above this much unsent data it is skipped.
const TYPING_DROP_BUFFERED_BYTES = 64 * 1024;

/**
 * The sockets of this process, by topic, and delivery to them through Bun's pub/sub. Every bus
 * ends here, whether the event was published on this process or received from another one.
 */
export class LocalDelivery {
  private server: Server<unknown> | null = null;
  private readonly sockets = new Map<string, Set<ServerWebSocket<unknown>>>();
  private readonly all = new Set<ServerWebSocket<unknown>>();

  attach(server: Server<unknown>): void {
    this.server = server;
  }

  /** Subscribes the socket to its topics; called only once its participant check has passed. */
  subscribe(ws: ServerWebSocket<unknown>, topics: string[]): void {
    this.all.add(ws);
    for (const topic of topics) {
      ws.subscribe(topic);
      const set = this.sockets.get(topic) ?? new Set();
      set.add(ws);
      this.sockets.set(topic, set);
    }
  }

  unsubscribe(ws: ServerWebSocket<unknown>, topics: string[]): void {
    this.all.delete(ws);
    for (const topic of topics) {
      const set = this.sockets.get(topic);
      set?.delete(ws);
      if (set?.size === 0) this.sockets.delete(topic);
    }
  }

  /** How many sockets this process holds. */
  get socketCount(): number {
    return this.all.size;
  }

  deliver(topic: string, event: ServerEvent): void {
    const local = this.sockets.get(topic);
    if (!local || !this.server) return;
    const payload = JSON.stringify(event);
    if (event.type === "typing") {
      for (const ws of local) if (ws.getBufferedAmount() < TYPING_DROP_BUFFERED_BYTES) ws.send(payload);
      return;
    }
    this.server.publish(topic, payload);
    if (event.type === "match_ended") {
      for (const ws of [...local]) ws.close(MATCH_ENDED_CLOSE_CODE, `match ended: ${event.reason}`);
    }
  }

  /** Closes every socket (graceful shutdown). */
  closeAll(code: number, reason: string): void {
    for (const ws of [...this.all]) ws.close(code, reason);
  }
}

/** Publishes the same event to both participants of a match. */
export function publishToParticipants(bus: Bus, matchId: number, userIds: readonly number[], event: ServerEvent): void {
  for (const userId of userIds) bus.publish(participantTopic(matchId, userId), event);
}
