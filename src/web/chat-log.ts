// The chat's message list (DOM): messages in id order, older pages above without a jump, bubbles of
// sends on their way (failed ones with Retry, in their place), receipts, secret countdowns, system lines.
import type { ChatMessage } from "../kernel/views";
import { h } from "./dom";
import { countdown } from "./format";

const clock = (at: Date) => at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/** A pending bubble sorts after every message until it has its id. */
const PENDING_ID = Number.MAX_SAFE_INTEGER;
/** Closer than this to the bottom, a new message scrolls the view down to it. */
const STICK_PX = 80;

export class MessageLog {
  private readonly list = h("ol", { class: "log-list" });
  private readonly top = h("p", { class: "log-top hint" });
  /** The scrolling region around the list: a live log, so new messages are announced. */
  readonly box = h(
    "div",
    { class: "log", role: "log", "aria-live": "polite", "aria-label": "Messages", tabindex: "0" },
    this.top,
    this.list,
  );

  /** Whether the view is at the newest message: kept there when the box shrinks (the keyboard opens). */
  private atBottom = true;
  private readonly resizes = new ResizeObserver(() => {
    if (this.atBottom) this.toBottom();
  });

  constructor(
    /** Retry of a failed send. */
    private readonly retry: (clientMsgId: string) => void,
  ) {
    this.box.addEventListener("scroll", () => {
      this.atBottom = this.nearBottom();
    });
    this.resizes.observe(this.box);
  }

  /** The chat closed: stop watching its size. */
  dispose(): void {
    this.resizes.disconnect();
  }

  /** Shows a message; `receipt` for this user's own ones. */
  add(message: ChatMessage, receipt: string | null): void {
    const stick = this.nearBottom();
    this.insert(this.bubble(message, receipt));
    if (stick || message.is_me) this.toBottom();
  }

  /** An older page, above what is shown; the messages in view stay where they are. */
  addOlder(messages: { message: ChatMessage; receipt: string | null }[]): void {
    const before = this.box.scrollHeight;
    for (const { message, receipt } of messages) this.insert(this.bubble(message, receipt));
    this.box.scrollTop += this.box.scrollHeight - before;
  }

  /** What the top of the history says: older messages are loading, this is the start, or (`empty`) none yet. */
  setTop(text: string, empty = false): void {
    this.top.textContent = text;
    this.top.toggleAttribute("data-empty", empty);
  }

  /** A bubble for a send on its way, until the server stores or refuses it. */
  addPending(clientMsgId: string, text: string, secretUntil: Date | null): void {
    const bubble = h(
      "li",
      { class: `msg me pending${secretUntil ? " secret" : ""}`, "data-id": PENDING_ID, "data-pending": clientMsgId },
      h("span", { class: "visually-hidden" }, "You: "),
      h("p", { class: "text" }, text),
      h(
        "span",
        { class: "meta" },
        secretUntil ? secretMark(secretUntil.getTime()) : null,
        h("time", {}, clock(new Date())),
        h("span", { class: "receipt" }, " · Sending…"),
      ),
    );
    this.list.append(bubble);
    this.toBottom();
  }

  /** The send was stored as `messageId`: its bubble stands for that message (in id order), or goes when shown already. */
  confirm(clientMsgId: string, messageId: number, outcome: "keep" | "drop", receipt: string): void {
    const bubble = this.pendingBubble(clientMsgId);
    if (!bubble) return;
    if (outcome === "drop") {
      bubble.remove();
      return;
    }
    bubble.classList.remove("pending", "failed");
    bubble.querySelector(".retry")?.remove();
    delete bubble.dataset.pending;
    bubble.dataset.id = String(messageId);
    setStatus(bubble, receipt);
    this.insert(bubble);
  }

  /** The send was refused or got no answer: its bubble says why and offers Retry, in its place. */
  fail(clientMsgId: string, reason: string): void {
    const bubble = this.pendingBubble(clientMsgId);
    if (!bubble) return;
    bubble.classList.replace("pending", "failed");
    setStatus(bubble, `Not sent: ${reason}`);
    bubble.querySelector(".retry")?.remove();
    bubble.append(h("button", { type: "button", class: "retry", onclick: () => this.retry(clientMsgId) }, "Retry"));
  }

  /** A failed send goes out again: Sending… once more. */
  retrying(clientMsgId: string): void {
    const bubble = this.pendingBubble(clientMsgId);
    if (!bubble) return;
    bubble.classList.replace("failed", "pending");
    bubble.querySelector(".retry")?.remove();
    setStatus(bubble, "Sending…");
  }

  setStatus(messageId: number, status: string): void {
    const element = this.message(messageId);
    if (element) setStatus(element, status);
  }

  remove(messageIds: number[]): void {
    for (const id of messageIds) this.message(id)?.remove();
  }

  /** Every second: the countdown of each secret message. */
  tick(now = Date.now()): void {
    for (const cell of this.list.querySelectorAll<HTMLElement>("[data-destructs]")) {
      cell.textContent = `disappears in ${countdown(Number(cell.dataset.destructs) - now)} · `;
    }
  }

  /** A line from the page itself ("Level 1 unlocked…"), after the messages so far. */
  systemLine(text: string): void {
    const last = [...this.list.querySelectorAll<HTMLElement>("li:not(.pending):not(.failed)")].at(-1);
    const line = h("li", { class: "system", "data-id": last?.dataset.id ?? "0" }, text);
    const firstPending = this.list.querySelector("li.pending, li.failed");
    this.list.insertBefore(line, firstPending);
    this.toBottom();
  }

  private bubble(message: ChatMessage, receipt: string | null): HTMLElement {
    const destructs = message.self_destruct_at ? new Date(message.self_destruct_at).getTime() : null;
    const element = h(
      "li",
      { class: `msg ${message.is_me ? "me" : "them"}${message.is_secret ? " secret" : ""}`, "data-id": message.id },
      h("span", { class: "visually-hidden" }, message.is_me ? "You: " : "Your match: "),
      h("p", { class: "text" }, message.message),
      h(
        "span",
        { class: "meta" },
        message.is_secret ? secretMark(destructs) : null,
        h("time", { datetime: message.timestamp }, clock(new Date(message.timestamp))),
        message.is_me ? h("span", { class: "receipt" }, "") : null,
      ),
    );
    if (receipt) setStatus(element, receipt);
    return element;
  }

  /** Places an element by its id among the shown ones (ids grow with time; pending bubbles last). */
  private insert(element: HTMLElement): void {
    const id = Number(element.dataset.id);
    const later = [...this.list.children].find(
      (child) => child !== element && Number((child as HTMLElement).dataset.id) > id,
    );
    this.list.insertBefore(element, later ?? null);
  }

  private nearBottom(): boolean {
    return this.box.scrollHeight - this.box.scrollTop - this.box.clientHeight < STICK_PX;
  }

  private toBottom(): void {
    this.box.scrollTop = this.box.scrollHeight;
    this.atBottom = true;
  }

  private message(messageId: number): HTMLElement | null {
    return this.list.querySelector<HTMLElement>(`li.msg[data-id="${messageId}"]`);
  }

  private pendingBubble(clientMsgId: string): HTMLElement | undefined {
    return [...this.list.querySelectorAll<HTMLElement>("li.msg[data-pending]")].find(
      (bubble) => bubble.dataset.pending === clientMsgId,
    );
  }
}

/** "disappears in 4:59 · " (counting down), or "secret · " when the time is not known. */
function secretMark(destructsAt: number | null): HTMLElement {
  if (destructsAt === null) return h("span", { class: "secret-mark" }, "secret · ");
  return h(
    "span",
    {
      class: "secret-mark",
      "data-destructs": destructsAt,
      title: "A secret message: it disappears when the secret chat ends",
    },
    `disappears in ${countdown(destructsAt - Date.now())} · `,
  );
}

function setStatus(element: HTMLElement, status: string): void {
  const cell = element.querySelector(".receipt");
  if (cell) cell.textContent = ` · ${status}`;
  element.dataset.status = status.toLowerCase();
}
