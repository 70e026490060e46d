// The chat panel (DOM): partner card, toolbar, banners, message list, typing line and composer, drawn from the state.
import { MessageLog } from "./chat-log";
import type { ChatState } from "./chat-state";
import { byId, fill, h } from "./dom";
import { countdown, timeLeft } from "./format";
import { renderPartnerCard } from "./partner-card";

const TYPING_SHOWN_MS = 6000;

/** What the panel's buttons do (ChatActions). */
export interface PanelActions {
  extend(): Promise<void>;
  requestSecret(): Promise<void>;
  answerSecret(accept: boolean): Promise<void>;
  report(): Promise<void>;
  unmatch(): Promise<void>;
  block(): Promise<void>;
}

/** What the composer asks of the chat. */
export interface Composer {
  /** Sends a message; false when the chat takes none. */
  send(text: string): boolean;
  /** The user typed; `hasText` when the box holds more than spaces. */
  typed(hasText: boolean): void;
}

export class ChatView {
  readonly log = new MessageLog();
  private readonly card = h("div", { class: "partner" });
  private readonly banner = h("div", { class: "banners" });
  private readonly typing = h("p", { class: "typing", "aria-live": "polite" });
  private readonly input = h("textarea", {
    rows: 2,
    maxlength: 2000,
    placeholder: "Write a message…",
    "aria-label": "Message",
  });
  private readonly sendButton = h("button", { type: "submit", class: "primary" }, "Send");
  private readonly toolbar = h("div", { class: "toolbar", role: "toolbar", "aria-label": "Chat actions" });
  private partnerTypingTimer = 0;

  constructor(
    partnerLabel: string,
    private readonly state: ChatState,
    private readonly actions: PanelActions,
    composer: Composer,
  ) {
    const form = h(
      "form",
      {
        class: "composer",
        onsubmit: (event: Event) => {
          event.preventDefault();
          const text = this.input.value.trim();
          if (text && composer.send(text)) this.input.value = "";
        },
      },
      this.input,
      this.sendButton,
    );
    this.input.addEventListener("input", () => composer.typed(this.input.value.trim() !== ""));
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    fill(
      byId("chat"),
      h("h2", { id: "chat-h", class: "visually-hidden" }, `Chat with ${partnerLabel}`),
      this.card,
      this.toolbar,
      this.banner,
      this.log.box,
      this.typing,
      form,
    );
    this.renderToolbar();
  }

  focus(): void {
    this.input.focus();
  }

  renderCard(): void {
    renderPartnerCard(this.card, this.state);
  }

  /** The banner of the moment (the end, the secret chat, or a request), and the toolbar that depends on it. */
  renderBanner(): void {
    const { state } = this;
    const parts: Node[] = [];
    if (state.ended) {
      parts.push(h("p", { class: "banner ended", role: "status" }, state.ended));
    } else if (state.secretUntil) {
      parts.push(
        h(
          "p",
          { class: "banner secret", role: "status" },
          "Secret chat · ",
          h("strong", { "data-secret-countdown": "" }, countdown(state.secretUntil.getTime() - Date.now())),
          " left. Messages sent now disappear when it ends.",
        ),
      );
    } else if (state.incomingRequest !== null) {
      parts.push(
        h(
          "div",
          { class: "banner request", role: "alert" },
          h(
            "p",
            {},
            `Your match asks for a ${state.incomingRequest}-minute secret chat. Its messages disappear when it ends.`,
          ),
          h(
            "button",
            { type: "button", class: "primary", onclick: () => void this.actions.answerSecret(true) },
            "Accept",
          ),
          h("button", { type: "button", onclick: () => void this.actions.answerSecret(false) }, "Decline"),
        ),
      );
    } else if (state.outgoingRequest !== null) {
      parts.push(
        h(
          "p",
          { class: "banner request", role: "status" },
          `Waiting for your match to accept a ${state.outgoingRequest}-minute secret chat…`,
        ),
      );
    }
    fill(this.banner, ...parts);
    this.renderToolbar();
  }

  private renderToolbar(): void {
    const active = !this.state.ended;
    const a = this.actions;
    const button = (label: string, action: () => Promise<void>, enabled: boolean, extra: Record<string, string> = {}) =>
      h("button", { type: "button", disabled: !enabled, onclick: () => void action(), ...extra }, label);
    fill(
      this.toolbar,
      button("Extend +24 h", () => a.extend(), active),
      button("Secret chat", () => a.requestSecret(), active && !this.state.secretUntil),
      button("Report", () => a.report(), true),
      button("Unmatch", () => a.unmatch(), active, { class: "danger-outline" }),
      button("Block", () => a.block(), active, { class: "danger-outline" }),
    );
  }

  /** Every second: the secret chat's countdown and the match's time left. */
  tick(): void {
    const left = this.banner.querySelector("[data-secret-countdown]");
    if (left && this.state.secretUntil) left.textContent = countdown(this.state.secretUntil.getTime() - Date.now());
    const cell = this.card.querySelector("[data-chat-time-left]");
    if (cell) cell.textContent = timeLeft(this.state.expiresAt);
  }

  setTyping(isTyping: boolean): void {
    clearTimeout(this.partnerTypingTimer);
    this.typing.textContent = isTyping ? "Your match is typing…" : "";
    if (isTyping) this.partnerTypingTimer = window.setTimeout(() => this.setTyping(false), TYPING_SHOWN_MS);
  }

  reconnecting(): void {
    this.setTyping(false);
    this.typing.textContent = "Reconnecting…";
  }

  /** The chat is closed: nothing more can be written, and the banner says why. */
  closed(): void {
    this.setTyping(false);
    this.input.disabled = true;
    this.sendButton.disabled = true;
    this.input.placeholder = "This chat is closed.";
    this.renderBanner();
    this.renderCard();
  }
}
