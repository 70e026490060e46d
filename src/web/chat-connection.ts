// The chat's line to the server: the match's socket (reconnecting, catching up with since=), its frames, REST sends without it.
import type { ServerEvent } from "../kernel/events";
import type { ClientFrame } from "../modules/chat/frames";
import type { SentMessage } from "../modules/chat/model";
import { client, ok } from "./api";

const TYPING_IDLE_MS = 3000;
const TYPING_REPEAT_MS = 2500;
const TYPING_RELAY_GAP_MS = 1100;
/** The socket close code after match_ended (API.md). */
const MATCH_ENDED_CLOSE = 4410;

export interface ConnectionEvents {
  event(event: ServerEvent): void;
  /** The socket dropped; it connects again shortly. */
  reconnecting(): void;
  /** The server closed the socket because the match ended. */
  ended(): void;
}

export class ChatConnection {
  private ws: WebSocket | null = null;
  private closed = false;
  private retries = 0;
  private typingSent = false;
  private typingSentAt = 0;
  private typingTimer = 0;

  constructor(
    private readonly session: { token: string; userId: number },
    private readonly matchId: number,
    /** The newest message id the page has, for `since`. */
    private readonly lastId: () => number,
    private readonly on: ConnectionEvents,
  ) {}

  open(): void {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    // The path from the typed client, so a renamed route is a type error here too.
    const path = client.api.mystery.ws.chat({ match_id: this.matchId })({ user_id: this.session.userId })["~path"];
    const query = `?token=${encodeURIComponent(this.session.token)}&since=${this.lastId()}`;
    const ws = new WebSocket(`${scheme}//${location.host}${path}${query}`);
    this.ws = ws;
    ws.addEventListener("message", (message) => {
      if (this.ws !== ws) return;
      const event = JSON.parse(String(message.data)) as ServerEvent;
      if (event.type === "connected") this.retries = 0;
      if (event.type === "user_online") this.partnerArrived();
      this.on.event(event);
    });
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.closed) return;
      if (event.code === MATCH_ENDED_CLOSE) return this.on.ended();
      // A refused upgrade, a dropped connection or the server asking to catch up (1012): try again,
      // slower each time, catching up with since=; spread over ±50 % so a server's sockets do not all come back at once.
      this.retries += 1;
      const delay = Math.min(10_000, 500 * 2 ** this.retries) * (0.5 + Math.random());
      this.on.reconnecting();
      setTimeout(() => {
        if (!this.closed) this.open();
      }, delay);
    });
  }

  /** The socket is open now. */
  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** For good: the chat was closed or the match ended. */
  close(reason: string): void {
    this.closed = true;
    clearTimeout(this.typingTimer);
    this.ws?.close(1000, reason);
    this.ws = null;
  }

  /** Sends a frame when the socket is open; false otherwise. */
  send(frame: ClientFrame): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /**
   * A chat message: over the socket when it is open (null: the ack comes as an event), else over
   * REST (the reply; the socket catches up with since= later).
   */
  sendMessage(text: string, clientMsgId: string): Promise<SentMessage> | null {
    if (this.send({ type: "message", text, client_msg_id: clientMsgId })) return null;
    return ok(
      client.api.mystery["send-message"].post({
        match_id: this.matchId,
        message_text: text,
        client_msg_id: clientMsgId,
      }),
    );
  }

  /** The user typed: tells the partner, again every few seconds while typing goes on, and stops after a pause. */
  typed(hasText: boolean): void {
    const due = !this.typingSent || Date.now() - this.typingSentAt > TYPING_REPEAT_MS;
    if (due && hasText) this.sendTyping();
    clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  /**
   * A message went out: the partner's page stops showing "typing" when it arrives, so no frame is spent
   * on it; the next keystrokes within the repeat interval send nothing either (a burst of quick lines
   * stays well within the socket's frame budget).
   */
  sent(): void {
    clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  stopTyping(): void {
    clearTimeout(this.typingTimer);
    if (this.typingSent) this.send({ type: "typing", is_typing: false });
    this.typingSent = false;
  }

  private sendTyping(): void {
    this.typingSent = this.send({ type: "typing", is_typing: true });
    this.typingSentAt = Date.now();
  }

  /** Typing began before the partner came: tell them now (the server relays a repeat at most once a second). */
  private partnerArrived(): void {
    if (!this.typingSent) return;
    const wait = Math.max(0, TYPING_RELAY_GAP_MS - (Date.now() - this.typingSentAt));
    window.setTimeout(() => this.typingSent && this.sendTyping(), wait);
  }
}
