// One open chat: history over REST, then the match's WebSocket for live messages, typing, read
// receipts, presence, unlocks and the secret chat; plus extend, unmatch, block and report.
import type { ServerEvent } from "../kernel/events";
import type { ChatMessage, PartnerProfile } from "../kernel/views";
import type { MatchListItem } from "../modules/matches/model";
import type { ReportInput } from "../modules/safety/model";
import { ApiError, client, ok } from "./api";
import { byId, fill, h } from "./dom";
import { humanError } from "./errors";
import { ago, blurPixels, countdown, partnerName, plural, revealedAt, timeLeft } from "./format";
import type { Home } from "./home";
import { ask, field, toast } from "./ui";

const TYPING_IDLE_MS = 3000;
const TYPING_SHOWN_MS = 6000;
const TYPING_REPEAT_MS = 2500;
const TYPING_RELAY_GAP_MS = 1100;
/** The socket close code after match_ended (API.md). */
const MATCH_ENDED_CLOSE = 4410;

type Ended = { text: string } | null;

const GENDERS: Record<NonNullable<PartnerProfile["gender"]>, string> = { female: "Woman", male: "Man", other: "Other" };

const clock = (at: Date) => at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

export class ChatView {
  private partner: PartnerProfile = { user_id: "Mystery User", unlock_level: 0 };
  private level = 0;
  private nextUnlockAt: number | null = null;
  private count = 0;
  private expiresAt = new Date();
  private secretUntil: Date | null = null;
  private ended: Ended = null;
  private online = false;
  private lastSeen: string | null = null;
  /** Request shown to this user: the partner asked for a secret chat of this many minutes. */
  private incomingRequest: number | null = null;
  private outgoingRequest: number | null = null;
  /** What to say when this user's own unmatch or block comes back as match_ended. */
  private leaving: string | null = null;

  private readonly messages = new Map<number, HTMLElement>();
  private readonly mine = new Map<number, HTMLElement>();
  private readonly pending = new Map<string, HTMLElement>();
  private readonly acked = new Set<number>();
  private lastId = 0;
  private partnerReadUpTo = 0;
  private readSent = 0;

  private ws: WebSocket | null = null;
  private closedByUs = false;
  private retries = 0;
  private typingSent = false;
  private typingSentAt = 0;
  private typingTimer = 0;
  private partnerTypingTimer = 0;
  private readonly abort = new AbortController();

  // The panel's parts, built once.
  private readonly card = h("div", { class: "partner" });
  private readonly banner = h("div", { class: "banners" });
  private readonly log = h("ol", { class: "log-list" });
  /** The scrolling region around the list: a live log, so new messages are announced. */
  private readonly logBox = h(
    "div",
    { class: "log", role: "log", "aria-live": "polite", "aria-label": "Messages", tabindex: "0" },
    this.log,
  );
  private readonly typing = h("p", { class: "typing", "aria-live": "polite" });
  private readonly input = h("textarea", {
    rows: 2,
    maxlength: 2000,
    placeholder: "Write a message…",
    "aria-label": "Message",
  });
  private readonly sendButton = h("button", { type: "submit", class: "primary" }, "Send");
  private readonly toolbar = h("div", { class: "toolbar", role: "toolbar", "aria-label": "Chat actions" });

  constructor(
    private readonly session: { token: string; userId: number },
    readonly matchId: number,
    partnerLabel: string,
    private readonly home: Home,
  ) {
    const composer = h(
      "form",
      { class: "composer", onsubmit: (event: Event) => this.submit(event) },
      this.input,
      this.sendButton,
    );
    this.input.addEventListener("input", () => this.typed());
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        composer.requestSubmit();
      }
    });
    document.addEventListener("visibilitychange", () => this.markRead(), { signal: this.abort.signal });
    fill(
      byId("chat"),
      h("h2", { id: "chat-h", class: "visually-hidden" }, `Chat with ${partnerLabel}`),
      this.card,
      this.toolbar,
      this.banner,
      this.logBox,
      this.typing,
      composer,
    );
    this.renderToolbar();
    void this.load();
  }

  close(): void {
    this.closedByUs = true;
    this.abort.abort();
    clearTimeout(this.typingTimer);
    clearTimeout(this.partnerTypingTimer);
    this.ws?.close(1000, "chat closed");
    this.ws = null;
  }

  sync(item: MatchListItem): void {
    if (this.ended) return;
    const changed = item.message_count > this.count || item.expires_at !== this.expiresAt.toISOString();
    this.count = Math.max(this.count, item.message_count);
    this.expiresAt = new Date(item.expires_at);
    if (changed) this.renderCard();
  }

  // ---- loading and the socket -----------------------------------------------------------------

  private async load(): Promise<void> {
    try {
      const page = await ok(client.api.mystery.chat({ match_id: this.matchId }).get({ query: { limit: 200 } }));
      this.partner = page.partner;
      this.level = page.unlock_level;
      this.nextUnlockAt = page.next_unlock_at;
      this.count = page.message_count;
      this.expiresAt = new Date(page.expires_at);
      this.secretUntil = page.secret_chat_active ? new Date(page.secret_chat_expires_at!) : null;
      for (const message of page.messages) this.addMessage(message);
      if (!page.is_active) this.end({ text: "This chat has ended. You can still read it." });
      else if (this.expiresAt <= new Date()) this.end({ text: "This match ran out of time." });
      else {
        this.connect();
        void this.loadPresence();
      }
    } catch (error) {
      this.end({ text: humanError(error) });
    }
    this.renderCard();
    this.renderBanner();
    if (!this.ended) this.input.focus();
  }

  private async loadPresence(): Promise<void> {
    try {
      const status = await ok(
        client.api.mystery.chat["online-status"]({ match_id: this.matchId })({ user_id: this.session.userId }).get(),
      );
      this.online = status.is_online || this.online;
      this.lastSeen = status.last_seen;
      this.renderCard();
    } catch {}
  }

  private connect(): void {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    // The path from the typed client, so a renamed route is a type error here too.
    const path = client.api.mystery.ws.chat({ match_id: this.matchId })({ user_id: this.session.userId })["~path"];
    const url =
      `${scheme}//${location.host}${path}` + `?token=${encodeURIComponent(this.session.token)}&since=${this.lastId}`;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.addEventListener("message", (event) => {
      if (this.ws === ws) this.handle(JSON.parse(String(event.data)) as ServerEvent);
    });
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.renderToolbar();
      if (this.closedByUs || this.ended) return;
      if (event.code === MATCH_ENDED_CLOSE) return this.end({ text: "This chat has ended." });
      // A refused upgrade or a dropped connection: try again, slower each time, catching up with since=.
      this.retries += 1;
      const delay = Math.min(10_000, 500 * 2 ** this.retries);
      this.setTyping(false);
      this.typing.textContent = "Reconnecting…";
      setTimeout(() => {
        if (!this.closedByUs && !this.ended) this.connect();
      }, delay);
    });
  }

  private send(frame: unknown): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  private handle(event: ServerEvent): void {
    switch (event.type) {
      case "connected":
        this.retries = 0;
        this.online = event.partner_online;
        this.level = Math.max(this.level, event.unlock_level);
        this.count = Math.max(this.count, event.message_count);
        this.typing.textContent = "";
        this.renderCard();
        this.markRead();
        return;
      case "history":
        for (const message of event.messages) this.addMessage(message);
        this.markRead();
        return;
      case "message":
        if (!this.messages.has(event.message.id) && !this.acked.has(event.message.id)) this.count += 1;
        this.addMessage(event.message);
        if (!event.message.is_me) this.setTyping(false);
        this.renderCard();
        this.markRead();
        this.home.refreshSoon();
        return;
      case "ack":
        this.acked.add(event.message_id);
        this.count = Math.max(this.count, event.message_count);
        if (event.client_msg_id) this.confirmPending(event.client_msg_id, event.message_id);
        this.renderCard();
        return;
      case "error":
        if (event.client_msg_id)
          this.failPending(event.client_msg_id, humanError(new ApiError(400, event.error, event.message)));
        else if (event.error !== "rate_limited") toast(event.message, "error");
        return;
      case "typing":
        this.setTyping(event.is_typing);
        return;
      case "read":
        this.partnerReadUpTo = Math.max(this.partnerReadUpTo, event.up_to_id);
        for (const [id, element] of this.mine) if (id <= this.partnerReadUpTo) this.setStatus(element, "Read");
        return;
      case "user_online":
        this.online = true;
        this.renderCard();
        // Typing began before the partner came: tell them now (the server relays a repeat at most once a second).
        if (this.typingSent) {
          const wait = Math.max(0, TYPING_RELAY_GAP_MS - (Date.now() - this.typingSentAt));
          window.setTimeout(() => this.typingSent && this.sendTyping(), wait);
        }
        return;
      case "user_offline":
        this.online = false;
        this.lastSeen = event.last_seen;
        this.setTyping(false);
        this.renderCard();
        return;
      case "unlock":
        this.partner = event.partner;
        this.level = event.level;
        this.nextUnlockAt = event.next_unlock_at;
        this.renderCard();
        this.systemLine(`Level ${event.level} unlocked: you can now see ${revealedAt(event.level)}.`);
        toast(`Level ${event.level} unlocked!`);
        this.home.refreshSoon();
        return;
      case "secret_chat_requested":
        this.incomingRequest = event.duration_minutes;
        this.renderBanner();
        return;
      case "secret_chat_started":
        this.incomingRequest = null;
        this.outgoingRequest = null;
        this.secretUntil = new Date(event.self_destruct_at);
        this.systemLine("Secret chat started: messages sent now disappear when it ends.");
        this.renderBanner();
        return;
      case "secret_chat_declined":
        this.outgoingRequest = null;
        this.renderBanner();
        toast("Your match said no to a secret chat this time.");
        return;
      case "secret_chat_ended":
        this.endSecretChat();
        return;
      case "match_extended":
        this.expiresAt = new Date(event.expires_at);
        this.systemLine(`This match was extended: ${timeLeft(this.expiresAt)}.`);
        this.renderCard();
        this.home.refreshSoon();
        return;
      case "new_match":
        this.home.refreshSoon();
        return;
      case "match_ended":
        if (!this.ended) {
          const texts = {
            unmatched: "Your match ended this chat.",
            blocked: "This chat has ended.",
            expired: "This match ran out of time.",
          };
          this.end({ text: this.leaving ?? texts[event.reason] });
        }
        return;
      case "pong":
        return;
    }
  }

  // ---- messages -------------------------------------------------------------------------------

  private addMessage(message: ChatMessage): void {
    this.lastId = Math.max(this.lastId, message.id);
    if (this.messages.has(message.id)) return;
    if (message.is_secret && message.self_destruct_at && new Date(message.self_destruct_at) <= new Date()) return;
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
    this.messages.set(message.id, element);
    if (message.is_me) {
      this.mine.set(message.id, element);
      this.setStatus(element, message.id <= this.partnerReadUpTo ? "Read" : "Sent");
    }
    // Keep id order: a message may arrive after a later one (REST send racing the socket).
    const later = [...this.log.children].find((child) => Number((child as HTMLElement).dataset.id) > message.id);
    const box = this.logBox;
    const stick = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    this.log.insertBefore(element, later ?? null);
    if (stick || message.is_me) element.scrollIntoView({ block: "end" });
  }

  private setStatus(element: HTMLElement, status: string): void {
    const cell = element.querySelector(".receipt");
    if (cell) cell.textContent = ` · ${status}`;
    element.dataset.status = status.toLowerCase();
  }

  private systemLine(text: string): void {
    const last = [...this.log.children].at(-1) as HTMLElement | undefined;
    this.log.append(h("li", { class: "system", "data-id": last?.dataset.id ?? "0" }, text));
    this.log.lastElementChild?.scrollIntoView({ block: "end" });
  }

  private submit(event: Event): void {
    event.preventDefault();
    const text = this.input.value.trim();
    if (!text || this.ended) return;
    const clientMsgId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    const bubble = h(
      "li",
      { class: "msg me pending", "data-id": Number.MAX_SAFE_INTEGER },
      h("p", { class: "text" }, text),
      h("span", { class: "meta" }, h("time", {}, clock(new Date())), h("span", { class: "receipt" }, " · Sending…")),
    );
    this.log.append(bubble);
    bubble.scrollIntoView({ block: "end" });
    this.pending.set(clientMsgId, bubble);
    this.input.value = "";
    this.stopTyping();
    if (!this.send({ type: "message", text, client_msg_id: clientMsgId })) void this.sendOverRest(text, clientMsgId);
  }

  /** Without an open socket the message goes over REST; the socket catches up with since= later. */
  private async sendOverRest(text: string, clientMsgId: string): Promise<void> {
    try {
      const sent = await ok(
        client.api.mystery["send-message"].post({
          match_id: this.matchId,
          message_text: text,
          client_msg_id: clientMsgId,
        }),
      );
      this.acked.add(sent.message_id);
      this.count = Math.max(this.count, sent.message_count);
      this.confirmPending(clientMsgId, sent.message_id);
      this.renderCard();
    } catch (error) {
      this.failPending(clientMsgId, humanError(error));
    }
  }

  private confirmPending(clientMsgId: string, messageId: number): void {
    const bubble = this.pending.get(clientMsgId);
    if (!bubble) return;
    this.pending.delete(clientMsgId);
    // The message event replaces the bubble when it comes (or came); until then the bubble stands.
    if (this.messages.has(messageId)) bubble.remove();
    else {
      bubble.classList.remove("pending");
      bubble.dataset.id = String(messageId);
      this.messages.set(messageId, bubble);
      this.mine.set(messageId, bubble);
      this.setStatus(bubble, messageId <= this.partnerReadUpTo ? "Read" : "Sent");
      this.lastId = Math.max(this.lastId, messageId);
    }
  }

  private failPending(clientMsgId: string, reason: string): void {
    const bubble = this.pending.get(clientMsgId);
    if (!bubble) {
      toast(reason, "error");
      return;
    }
    this.pending.delete(clientMsgId);
    bubble.classList.replace("pending", "failed");
    this.setStatus(bubble, `Not sent: ${reason}`);
  }

  /** Tells the partner (and the unread counter) what this user has seen, when the page is visible. */
  private markRead(): void {
    if (document.visibilityState !== "visible" || this.ended) return;
    let newest = 0;
    for (const [id, element] of this.messages) if (element.classList.contains("them")) newest = Math.max(newest, id);
    if (newest > this.readSent && this.send({ type: "read", up_to_id: newest })) this.readSent = newest;
  }

  // ---- typing ---------------------------------------------------------------------------------

  private typed(): void {
    // Repeated every few seconds while typing goes on, so a partner who opens the chat meanwhile sees it.
    const due = !this.typingSent || Date.now() - this.typingSentAt > TYPING_REPEAT_MS;
    if (due && this.input.value.trim() !== "") this.sendTyping();
    clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  private sendTyping(): void {
    this.typingSent = this.send({ type: "typing", is_typing: true });
    this.typingSentAt = Date.now();
  }

  private stopTyping(): void {
    clearTimeout(this.typingTimer);
    if (this.typingSent) this.send({ type: "typing", is_typing: false });
    this.typingSent = false;
  }

  private setTyping(isTyping: boolean): void {
    clearTimeout(this.partnerTypingTimer);
    this.typing.textContent = isTyping ? "Your match is typing…" : "";
    if (isTyping) this.partnerTypingTimer = window.setTimeout(() => this.setTyping(false), TYPING_SHOWN_MS);
  }

  // ---- the partner card -----------------------------------------------------------------------

  private renderCard(): void {
    const p = this.partner;
    const locked = (level: number) => h("span", { class: "locked" }, `locked until level ${level}`);
    const fact = (label: string, level: number, value: string | null | undefined) =>
      [h("dt", {}, label), h("dd", {}, this.level >= level ? value || "—" : locked(level))] as const;

    const photo =
      p.photo_url && this.level >= 2
        ? h("img", {
            class: "photo",
            src: p.photo_url,
            alt: p.photo_blur ? "Your match's photo, blurred until you talk more" : "Your match's photo",
            style: `filter: blur(${blurPixels(p.photo_blur)}px)`,
            "data-blur": p.photo_blur ?? 0,
            referrerpolicy: "no-referrer",
          })
        : h("span", { class: "photo placeholder", "aria-hidden": "true" }, "?");
    if (photo instanceof HTMLImageElement) {
      photo.addEventListener("error", () => photo.replaceWith(h("span", { class: "photo placeholder" }, "?")));
    }

    const progress =
      this.nextUnlockAt === null
        ? "Everything is unlocked."
        : `${plural(Math.max(0, this.nextUnlockAt - this.count), "more message")} to unlock ${revealedAt(this.level + 1)}.`;
    const presence = this.ended
      ? null
      : this.online
        ? h("span", { class: "presence online" }, "Online")
        : h("span", { class: "presence" }, this.lastSeen ? `Last seen ${ago(this.lastSeen)}` : "Offline");

    fill(
      this.card,
      h("div", { class: "avatar" }, photo),
      h(
        "div",
        { class: "partner-main" },
        h("p", { class: "partner-name" }, h("strong", {}, partnerName(p)), " ", presence),
        h(
          "p",
          { class: "partner-level" },
          h("span", { class: "level" }, `Level ${this.level}/4`),
          ` · ${plural(this.count, "message")} · `,
          h("span", { "data-chat-time-left": "" }, this.ended ? "ended" : timeLeft(this.expiresAt)),
        ),
        h("progress", {
          max: this.nextUnlockAt ?? 1,
          value: this.nextUnlockAt === null ? 1 : this.count,
          "aria-label": "Messages toward the next unlock level",
        }),
        h("p", { class: "hint" }, progress),
        h(
          "dl",
          { class: "facts" },
          ...fact("Age", 1, p.age == null ? null : String(p.age)),
          ...fact("City", 1, p.city),
          ...fact("Interests", 3, p.interests?.join(", ")),
          ...fact("About", 3, p.bio),
          ...fact("Gender", 4, p.gender ? GENDERS[p.gender] : null),
        ),
      ),
    );
  }

  // ---- banners: secret chat and the end -------------------------------------------------------

  private renderBanner(): void {
    const parts: Node[] = [];
    if (this.ended) {
      parts.push(h("p", { class: "banner ended", role: "status" }, this.ended.text));
    } else if (this.secretUntil) {
      parts.push(
        h(
          "p",
          { class: "banner secret", role: "status" },
          "Secret chat · ",
          h("strong", { "data-secret-countdown": "" }, countdown(this.secretUntil.getTime() - Date.now())),
          " left. Messages sent now disappear when it ends.",
        ),
      );
    } else if (this.incomingRequest !== null) {
      parts.push(
        h(
          "div",
          { class: "banner request", role: "alert" },
          h(
            "p",
            {},
            `Your match asks for a ${this.incomingRequest}-minute secret chat. Its messages disappear when it ends.`,
          ),
          h("button", { type: "button", class: "primary", onclick: () => void this.answerSecret(true) }, "Accept"),
          h("button", { type: "button", onclick: () => void this.answerSecret(false) }, "Decline"),
        ),
      );
    } else if (this.outgoingRequest !== null) {
      parts.push(
        h(
          "p",
          { class: "banner request", role: "status" },
          `Waiting for your match to accept a ${this.outgoingRequest}-minute secret chat…`,
        ),
      );
    }
    fill(this.banner, ...parts);
    this.renderToolbar();
  }

  /** Every second, from the home screen's clock. */
  tick(): void {
    const left = this.banner.querySelector("[data-secret-countdown]");
    if (this.secretUntil && left) {
      const ms = this.secretUntil.getTime() - Date.now();
      if (ms <= 0) this.endSecretChat();
      else left.textContent = countdown(ms);
    }
    const cell = this.card.querySelector("[data-chat-time-left]");
    if (cell && !this.ended) {
      if (this.expiresAt <= new Date()) this.end({ text: "This match ran out of time." });
      else cell.textContent = timeLeft(this.expiresAt);
    }
  }

  private endSecretChat(): void {
    if (!this.secretUntil) return;
    this.secretUntil = null;
    for (const [id, element] of this.messages) {
      if (!element.classList.contains("secret")) continue;
      element.remove();
      this.messages.delete(id);
      this.mine.delete(id);
    }
    this.systemLine("The secret chat is over; its messages are gone.");
    this.renderBanner();
  }

  private end(ended: NonNullable<Ended>): void {
    if (this.ended) return;
    this.ended = ended;
    this.closedByUs = true;
    this.ws?.close(1000, "match ended");
    this.ws = null;
    this.setTyping(false);
    this.input.disabled = true;
    this.sendButton.disabled = true;
    this.input.placeholder = "This chat is closed.";
    this.renderBanner();
    this.renderCard();
    this.renderToolbar();
    this.home.chatClosed(this.matchId);
  }

  // ---- actions --------------------------------------------------------------------------------

  private renderToolbar(): void {
    const active = !this.ended;
    const button = (label: string, action: () => Promise<void>, enabled: boolean, extra: Record<string, string> = {}) =>
      h("button", { type: "button", disabled: !enabled, onclick: () => void action(), ...extra }, label);
    fill(
      this.toolbar,
      button("Extend +24 h", () => this.extend(), active),
      button("Secret chat", () => this.requestSecret(), active && !this.secretUntil),
      button("Report", () => this.report(), true),
      button("Unmatch", () => this.unmatch(), active, { class: "danger-outline" }),
      button("Block", () => this.block(), active, { class: "danger-outline" }),
    );
  }

  private async extend(): Promise<void> {
    const profile = this.home.profile;
    const cost = profile?.is_premium
      ? "It's free for Premium members."
      : `It costs coins (you have ${plural(profile?.coins ?? 0, "coin")}).`;
    const answer = await ask("Extend this match?", [h("p", {}, `Add 24 hours to this match. ${cost}`)], "Extend");
    if (!answer) return;
    try {
      const reply = await ok(client.api.mystery["extend-match"].post({ match_id: this.matchId }));
      this.expiresAt = new Date(reply.new_expiry);
      this.renderCard();
      toast(reply.cost > 0 ? `Extended by 24 hours for ${plural(reply.cost, "coin")}.` : "Extended by 24 hours.");
      void this.home.loadProfile();
    } catch (error) {
      toast(humanError(error), "error");
    }
  }

  private async requestSecret(): Promise<void> {
    const select = h(
      "select",
      { name: "duration" },
      ...[5, 10, 15, 30, 60].map((minutes) =>
        h("option", { value: minutes, selected: minutes === 10 }, `${minutes} minutes`),
      ),
    );
    const answer = await ask(
      "Start a secret chat?",
      [h("p", {}, "If your match accepts, messages sent during it disappear when it ends."), field("How long", select)],
      "Ask",
    );
    if (!answer) return;
    const minutes = Number(answer.get("duration"));
    try {
      await ok(client.api.mystery["request-secret-chat"].post({ match_id: this.matchId, duration_minutes: minutes }));
      this.outgoingRequest = minutes;
      this.renderBanner();
    } catch (error) {
      toast(humanError(error), "error");
    }
  }

  private async answerSecret(accept: boolean): Promise<void> {
    try {
      const params = { match_id: this.matchId };
      if (accept) {
        const reply = await ok(client.api.mystery["accept-secret-chat"](params).post());
        this.incomingRequest = null;
        if (!this.secretUntil) {
          this.secretUntil = new Date(reply.self_destruct_at);
          this.systemLine("Secret chat started: messages sent now disappear when it ends.");
        }
      } else {
        await ok(client.api.mystery["decline-secret-chat"](params).post());
        this.incomingRequest = null;
      }
      this.renderBanner();
    } catch (error) {
      this.incomingRequest = null;
      this.renderBanner();
      toast(humanError(error), "error");
    }
  }

  private async report(): Promise<void> {
    const what = h(
      "select",
      { name: "content_type" },
      h("option", { value: "match" }, "The conversation"),
      h("option", { value: "profile" }, "Their profile"),
      h("option", { value: "photo" }, "Their photo"),
    );
    const reason = h("textarea", { name: "reason", rows: 3, maxlength: 1000, required: true });
    const answer = await ask(
      "Report this person",
      [
        h("p", {}, "A moderator will look at it. They won't know who reported them."),
        field("What is wrong?", what),
        field("Tell us what happened", reason),
      ],
      "Send report",
    );
    if (!answer) return;
    try {
      await ok(
        client.api.mystery.report.post({
          match_id: this.matchId,
          content_type: answer.get("content_type") as ReportInput["content_type"],
          reason: String(answer.get("reason") ?? "").trim(),
        }),
      );
      toast("Thanks for telling us. A moderator will look at it.");
    } catch (error) {
      toast(humanError(error), "error");
    }
  }

  private async unmatch(): Promise<void> {
    const answer = await ask(
      "End this match?",
      [h("p", {}, "The chat closes for both of you and you won't be matched again. You can still read it.")],
      "End match",
      true,
    );
    if (!answer) return;
    this.leaving = "You ended this match.";
    try {
      await ok(client.api.mystery.unmatch.post({ match_id: this.matchId }));
      this.end({ text: this.leaving });
    } catch (error) {
      this.leaving = null;
      toast(humanError(error), "error");
    }
  }

  private async block(): Promise<void> {
    const reason = h("textarea", { name: "reason", rows: 2, maxlength: 500 });
    const answer = await ask(
      "Block this person?",
      [
        h("p", {}, "The chat ends and you will never be matched with them again."),
        field("Reason (optional, only for moderators)", reason),
      ],
      "Block",
      true,
    );
    if (!answer) return;
    this.leaving = "You blocked this person. You won't be matched with them again.";
    try {
      const text = String(answer.get("reason") ?? "").trim();
      await ok(client.api.mystery.block.post({ match_id: this.matchId, reason: text || undefined }));
      this.end({ text: this.leaving });
    } catch (error) {
      this.leaving = null;
      toast(humanError(error), "error");
    }
  }
}
