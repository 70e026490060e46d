// The chat screen (DOM): a compact header (back, the match's avatar and name, presence, level, time
// left) that expands into the partner card and the actions, then banners, the messages, the typing
// line and the composer, which stays at the bottom.

import { type PanelActions, renderBanner, renderToolbar } from "./chat-banner";
import { MessageLog } from "./chat-log";
import type { ChatState } from "./chat-state";
import { byId, fill, h } from "./dom";
import { ago, countdown, timeLeft } from "./format";
import { avatar } from "./match-list";
import { matchIdentity } from "./names";
import { renderPartnerCard } from "./partner-card";

const TYPING_SHOWN_MS = 6000;

/** What the chat screen asks of the chat. */
export interface Composer {
  /** Sends a message; false when the chat takes none. */
  send(text: string): boolean;
  /** The user typed; `hasText` when the box holds more than spaces. */
  typed(hasText: boolean): void;
  retry(clientMsgId: string): void;
  back(): void;
  /** The history was scrolled near its top: load an older page. */
  nearTop(): void;
}

export class ChatView {
  readonly log: MessageLog;
  private readonly status = h("span", { class: "head-status" });
  private readonly details = h("div", { class: "partner-details", id: "partner-details", hidden: true });
  private readonly card = h("div", { class: "partner" });
  private readonly toggle: HTMLButtonElement;
  private readonly banner = h("div", { class: "banners" });
  private readonly typing = h("p", { class: "typing", "aria-live": "polite" });
  private readonly input = h("textarea", {
    rows: 1,
    maxlength: 2000,
    placeholder: "Write a message…",
    "aria-label": "Message",
    enterkeyhint: "send",
  });
  private readonly sendButton = h("button", { type: "submit", class: "primary send", "aria-label": "Send" }, "Send");
  private readonly toolbar = h("div", { class: "toolbar", role: "toolbar", "aria-label": "Chat actions" });
  private partnerTypingTimer = 0;

  constructor(
    readonly matchId: number,
    private readonly state: ChatState,
    private readonly actions: PanelActions,
    composer: Composer,
    expanded: boolean,
  ) {
    this.log = new MessageLog((id) => composer.retry(id));
    const who = matchIdentity(matchId);
    this.toggle = h(
      "button",
      {
        type: "button",
        class: "head-main",
        "aria-expanded": "false",
        "aria-controls": "partner-details",
        onclick: () => this.expand(this.details.hidden === true),
      },
      avatar(matchId),
      h("span", { class: "head-text" }, h("span", { class: "head-name" }, who.name), this.status),
      h("span", { class: "chevron", "aria-hidden": "true" }, "▾"),
    );
    const form = h(
      "form",
      {
        class: "composer",
        onsubmit: (event: Event) => {
          event.preventDefault();
          const text = this.input.value.trim();
          if (text && composer.send(text)) {
            this.input.value = "";
            this.fit();
          }
          this.input.focus();
        },
      },
      this.input,
      this.sendButton,
    );
    this.input.addEventListener("input", () => {
      this.fit();
      composer.typed(this.input.value.trim() !== "");
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    this.log.box.addEventListener("scroll", () => {
      if (this.log.box.scrollTop < 120) composer.nearTop();
    });
    fill(this.details, this.card, this.toolbar);
    fill(
      byId("chat"),
      h("h2", { id: "chat-h", class: "visually-hidden" }, `Chat with ${who.name}`),
      h(
        "header",
        { class: "chat-head" },
        h(
          "button",
          { type: "button", class: "back", "aria-label": "Back to your matches", onclick: () => composer.back() },
          "‹",
        ),
        this.toggle,
      ),
      this.details,
      this.banner,
      this.log.box,
      this.typing,
      form,
    );
    this.expand(expanded);
    this.renderBanner();
  }

  /** Shows or hides the partner card and the actions under the header. */
  expand(open: boolean): void {
    this.details.hidden = !open;
    this.toggle.setAttribute("aria-expanded", String(open));
  }

  focus(): void {
    this.input.focus({ preventScroll: true });
  }

  renderCard(): void {
    renderPartnerCard(this.card, this.state);
    this.renderStatus();
  }

  /** The header's one line: presence, level, time left. */
  private renderStatus(): void {
    const { state } = this;
    const presence = state.ended
      ? "Ended"
      : state.online
        ? "Online"
        : state.lastSeen
          ? `Last seen ${ago(state.lastSeen)}`
          : "Offline";
    fill(
      this.status,
      h("span", { class: state.online && !state.ended ? "presence online" : "presence" }, presence),
      ` · Level ${state.level}/4`,
      state.ended ? "" : " · ",
      state.ended ? null : h("span", { "data-head-time-left": "" }, timeLeft(state.expiresAt)),
    );
  }

  /** The banner of the moment (the end, the secret chat, or a request), and the toolbar that depends on it. */
  renderBanner(): void {
    renderBanner(this.banner, this.state, this.actions);
    renderToolbar(this.toolbar, this.state, this.actions);
  }

  /** Every second: the secret chat's countdown, the match's time left, the messages' countdowns. */
  tick(): void {
    const left = this.banner.querySelector("[data-secret-countdown]");
    if (left && this.state.secretUntil) left.textContent = countdown(this.state.secretUntil.getTime() - Date.now());
    for (const cell of byId("chat").querySelectorAll("[data-chat-time-left], [data-head-time-left]")) {
      cell.textContent = timeLeft(this.state.expiresAt);
    }
    this.log.tick();
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

  /** The box grows with its text, up to a few lines. */
  private fit(): void {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, 120)}px`;
  }
}
