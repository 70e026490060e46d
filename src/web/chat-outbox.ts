// This user's sends on their way, one at a time in the order typed: each keeps its client_msg_id
// through retries (the server stores it once), fails visibly (refused, rate-limited, no answer) and
// is sent again as it was when the socket comes back.
import type { SentMessage } from "../modules/chat/model";

/** No ack or refusal this long after a frame went out: shown as failed, with Retry. */
const ACK_TIMEOUT_MS = 10_000;

export interface OutboxTransport {
  /** Over the socket (null: the ack comes as an event) or over REST (the reply). */
  send(text: string, clientMsgId: string): Promise<SentMessage> | null;
}

export interface OutboxEvents {
  stored(clientMsgId: string, reply: { message_id: number; message_count: number; unlock_progress: number }): void;
  failed(clientMsgId: string, reason: string): void;
  /** A failed send goes out again (Retry). */
  retrying(clientMsgId: string): void;
}

interface Send {
  id: string;
  text: string;
  state: "queued" | "sending" | "failed";
  /** Its last try went over the socket, so a socket that closed may have lost it (REST answers for itself). */
  overSocket: boolean;
  timer: number;
}

export class Outbox {
  private readonly sends: Send[] = [];
  /** Sends settled by their own message coming back before their ack: the ack, if it comes, still reports. */
  private readonly echoed = new Set<string>();

  constructor(
    private readonly transport: OutboxTransport,
    private readonly on: OutboxEvents,
    private readonly describe: (error: unknown) => string,
  ) {}

  /** Queues a new send and returns its client_msg_id. */
  add(text: string): string {
    const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    this.sends.push({ id, text, state: "queued", overSocket: false, timer: 0 });
    this.pump();
    return id;
  }

  /** Retry of a failed send: the same client_msg_id, at the back of the queue. */
  retry(clientMsgId: string): void {
    const send = this.find(clientMsgId);
    if (send?.state !== "failed") return;
    this.sends.splice(this.sends.indexOf(send), 1);
    send.state = "queued";
    this.sends.push(send);
    this.on.retrying(clientMsgId);
    this.pump();
  }

  /** The server stored it (an ack over the socket). */
  acked(clientMsgId: string, reply: { message_id: number; message_count: number; unlock_progress: number }): void {
    const send = this.find(clientMsgId);
    if (send) this.drop(send);
    else if (!this.echoed.delete(clientMsgId)) return;
    this.on.stored(clientMsgId, reply);
    this.pump();
  }

  /**
   * One of this user's messages came back over the socket (its `message` event can come before its
   * ack, or instead of an ack lost with a dropped socket): the oldest send of that text, whatever
   * its state, is stored. Gives its client_msg_id, or null when no send has that text.
   */
  echo(text: string): string | null {
    const send = this.sends.find((waiting) => waiting.text === text);
    if (!send) return null;
    this.drop(send);
    this.echoed.add(send.id);
    this.pump();
    return send.id;
  }

  /** The server refused it (an error event naming it); false when no such send is waiting. */
  refused(clientMsgId: string, reason: string): boolean {
    const send = this.find(clientMsgId);
    if (!send || send.state === "failed") return false;
    this.fail(send, reason);
    return true;
  }

  /** The socket opened again: a frame in flight on the last one may have been lost; it goes again, same id. */
  reconnected(): void {
    for (const send of this.sends) {
      if (send.state !== "sending" || !send.overSocket) continue;
      clearTimeout(send.timer);
      send.state = "queued";
    }
    this.pump();
  }

  /** The chat closed: nothing more goes out. */
  close(): void {
    for (const send of this.sends) clearTimeout(send.timer);
    this.sends.length = 0;
    this.echoed.clear();
  }

  private pump(): void {
    if (this.sends.some((send) => send.state === "sending")) return;
    const next = this.sends.find((send) => send.state === "queued");
    if (!next) return;
    next.state = "sending";
    next.timer = window.setTimeout(() => this.fail(next, "No answer from the server."), ACK_TIMEOUT_MS);
    const reply = this.transport.send(next.text, next.id);
    next.overSocket = reply === null;
    reply?.then(
      (stored) => this.acked(next.id, stored),
      (error: unknown) => this.fail(next, this.describe(error)),
    );
  }

  private fail(send: Send, reason: string): void {
    if (send.state === "failed" || !this.sends.includes(send)) return;
    clearTimeout(send.timer);
    send.state = "failed";
    this.on.failed(send.id, reason);
    this.pump();
  }

  private drop(send: Send): void {
    clearTimeout(send.timer);
    this.sends.splice(this.sends.indexOf(send), 1);
  }

  private find(clientMsgId: string): Send | undefined {
    return this.sends.find((send) => send.id === clientMsgId);
  }
}
