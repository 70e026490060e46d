// The chat's message list (DOM): messages in id order, bubbles of sends on their way, receipts and system lines.
import type { ChatMessage } from "../kernel/views";
import { h } from "./dom";

const clock = (at: Date) => at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/** A pending bubble sorts after every message until it has its id. */
const PENDING_ID = Number.MAX_SAFE_INTEGER;

export class MessageLog {
  private readonly list = h("ol", { class: "log-list" });
  /** The scrolling region around the list: a live log, so new messages are announced. */
  readonly box = h(
    "div",
    { class: "log", role: "log", "aria-live": "polite", "aria-label": "Messages", tabindex: "0" },
    this.list,
  );

  /** Shows a message; `receipt` for this user's own ones. */
  add(message: ChatMessage, receipt: string | null): void {
    const element = h(
      "li",
      { class: `msg ${message.is_me ? "me" : "them"}${message.is_secret ? " secret" : ""}`, "data-id": message.id },
      h("span", { class: "visually-hidden" }, message.is_me ? "You: " : "Your match: "),
      h("p", { class: "text" }, message.message),
      h(
        "span",
        { class: "meta" },
        message.is_secret
          ? h("span", { class: "secret-mark", title: "Disappears when the secret chat ends" }, "secret · ")
          : null,
        h("time", { datetime: message.timestamp }, clock(new Date(message.timestamp))),
        message.is_me ? h("span", { class: "receipt" }, "") : null,
      ),
    );
    if (receipt) setStatus(element, receipt);
    // Keep id order: a message may arrive after a later one (REST send racing the socket).
    const later = [...this.list.children].find((child) => Number((child as HTMLElement).dataset.id) > message.id);
    const stick = this.box.scrollHeight - this.box.scrollTop - this.box.clientHeight < 80;
    this.list.insertBefore(element, later ?? null);
    if (stick || message.is_me) element.scrollIntoView({ block: "end" });
  }

  /** A bubble for a send on its way, until the server stores or refuses it. */
  addPending(clientMsgId: string, text: string): void {
    const bubble = h(
      "li",
      { class: "msg me pending", "data-id": PENDING_ID, "data-pending": clientMsgId },
      h("p", { class: "text" }, text),
      h("span", { class: "meta" }, h("time", {}, clock(new Date())), h("span", { class: "receipt" }, " · Sending…")),
    );
    this.list.append(bubble);
    bubble.scrollIntoView({ block: "end" });
  }

  /** The send was stored as `messageId`: its bubble stands for that message, or goes when it is shown already. */
  confirm(clientMsgId: string, messageId: number, outcome: "keep" | "drop", receipt: string): void {
    const bubble = this.pendingBubble(clientMsgId);
    if (!bubble) return;
    if (outcome === "drop") {
      bubble.remove();
      return;
    }
    bubble.classList.remove("pending");
    delete bubble.dataset.pending;
    bubble.dataset.id = String(messageId);
    setStatus(bubble, receipt);
  }

  /** The send was refused: its bubble says why. */
  fail(clientMsgId: string, reason: string): void {
    const bubble = this.pendingBubble(clientMsgId);
    if (!bubble) return;
    delete bubble.dataset.pending;
    bubble.classList.replace("pending", "failed");
    setStatus(bubble, `Not sent: ${reason}`);
  }

  setStatus(messageId: number, status: string): void {
    const element = this.message(messageId);
    if (element) setStatus(element, status);
  }

  remove(messageIds: number[]): void {
    for (const id of messageIds) this.message(id)?.remove();
  }

  /** A line from the page itself ("Level 1 unlocked…"), after the messages so far. */
  systemLine(text: string): void {
    const last = [...this.list.children].at(-1) as HTMLElement | undefined;
    this.list.append(h("li", { class: "system", "data-id": last?.dataset.id ?? "0" }, text));
    this.list.lastElementChild?.scrollIntoView({ block: "end" });
  }

  private message(messageId: number): HTMLElement | null {
    return this.list.querySelector<HTMLElement>(`li.msg[data-id="${messageId}"]`);
  }

  private pendingBubble(clientMsgId: string): HTMLElement | undefined {
    return [...this.list.querySelectorAll<HTMLElement>("li.msg.pending")].find(
      (bubble) => bubble.dataset.pending === clientMsgId,
    );
  }
}

function setStatus(element: HTMLElement, status: string): void {
  const cell = element.querySelector(".receipt");
  if (cell) cell.textContent = ` · ${status}`;
  element.dataset.status = status.toLowerCase();
}
