// One open chat: loads its history (older pages on scrolling up), then applies the socket's events to
// the state and the view; this user's sends go through the outbox, in order, never lost silently.
import type { ServerEvent } from "../kernel/events";
import type { ChatMessage } from "../kernel/views";
import type { MatchListItem } from "../modules/matches/model";
import { ApiError, client, ok } from "./api";
import { ChatActions } from "./chat-actions";
import { ChatConnection } from "./chat-connection";
import { Outbox } from "./chat-outbox";
import { HistoryPages } from "./chat-pages";
import { ChatState } from "./chat-state";
import { ChatView } from "./chat-view";
import { humanError } from "./errors";
import { revealedAt, timeLeft } from "./format";
import type { Home, OpenChat } from "./home";
import { ENDED_WHY } from "./match-list";
import { haptic } from "./telegram";
import { toast } from "./ui";

export class Chat implements OpenChat {
  private readonly state = new ChatState();
  private readonly connection: ChatConnection;
  private readonly view: ChatView;
  private readonly outbox: Outbox;
  private readonly abort = new AbortController();
  private readonly pages: HistoryPages;

  constructor(
    private readonly session: { token: string; userId: number },
    readonly matchId: number,
    private readonly home: Home,
  ) {
    this.connection = new ChatConnection(session, matchId, () => this.state.lastId, {
      event: (event) => this.handle(event),
      reconnecting: () => this.view.reconnecting(),
      ended: () => this.end("This chat has ended."),
    });
    const actions = new ChatActions(matchId, this.state, home, {
      card: () => this.view.renderCard(),
      banner: () => this.view.renderBanner(),
      systemLine: (text) => this.view.log.systemLine(text),
      end: (text) => this.end(text),
    });
    this.view = new ChatView(
      matchId,
      this.state,
      actions,
      {
        send: (text) => this.send(text),
        typed: (hasText) => this.connection.typed(hasText),
        retry: (clientMsgId) => this.outbox.retry(clientMsgId),
        back: () => home.screens.back(),
        nearTop: () => void this.pages.older(),
      },
      !home.screens.narrow,
    );
    this.pages = new HistoryPages(matchId, this.state, this.view.log);
    this.outbox = new Outbox(
      { send: (text, clientMsgId) => this.connection.sendMessage(text, clientMsgId) },
      {
        stored: (clientMsgId, reply) => this.stored(clientMsgId, reply.message_id, reply),
        failed: (clientMsgId, reason) => this.view.log.fail(clientMsgId, reason),
        retrying: (clientMsgId) => this.view.log.retrying(clientMsgId),
      },
      humanError,
    );
    document.addEventListener("visibilitychange", () => this.markRead(), { signal: this.abort.signal });
    void this.load();
  }

  get live(): boolean {
    return this.connection.isOpen;
  }

  visibilityChanged(): void {
    this.markRead();
  }

  close(): void {
    this.abort.abort();
    this.outbox.close();
    this.view.log.dispose();
    this.connection.close("chat closed");
    this.view.setTyping(false);
  }

  sync(item: MatchListItem): void {
    if (!this.state.ended && this.state.sync(item)) this.view.renderCard();
  }

  /** Every second, from the home screen's clock. */
  tick(): void {
    const { state } = this;
    if (state.ended || !state.loaded) return;
    const now = new Date();
    if (state.secretUntil && state.secretUntil <= now) this.endSecretChat();
    if (state.expiresAt <= now) this.end("This match ran out of time.");
    else this.view.tick();
  }

  private async load(): Promise<void> {
    const { state, view } = this;
    try {
      const page = await this.pages.first();
      state.load(page);
      for (const message of page.messages) this.show(message);
      this.pages.showTop();
      if (!page.is_active) this.end("This chat has ended. You can still read it.");
      else if (state.expiresAt <= new Date()) this.end("This match ran out of time.");
      else {
        this.connection.open();
        void this.loadPresence();
      }
    } catch (error) {
      this.end(humanError(error));
    }
    view.renderCard();
    view.renderBanner();
    if (!state.ended && !this.home.screens.narrow) view.focus();
  }

  private async loadPresence(): Promise<void> {
    try {
      const status = await ok(
        client.api.mystery.chat["online-status"]({ match_id: this.matchId })({ user_id: this.session.userId }).get(),
      );
      this.state.online = status.is_online || this.state.online;
      this.state.lastSeen = status.last_seen;
      this.view.renderCard();
    } catch {}
  }

  private handle(event: ServerEvent): void {
    const { state, view } = this;
    switch (event.type) {
      case "connected":
        for (const id of state.partnerRead(event.partner_read_up_to ?? 0)) view.log.setStatus(id, "Read");
        state.online = event.partner_online;
        state.level = Math.max(state.level, event.unlock_level);
        state.count = Math.max(state.count, event.message_count);
        state.progress = Math.max(state.progress, event.unlock_progress);
        view.setTyping(false);
        view.renderCard();
        this.markRead();
        this.outbox.reconnected();
        return;
      case "history":
        for (const message of event.messages) this.received(message);
        this.markRead();
        return;
      case "message":
        state.arrived(event.message.id);
        this.received(event.message);
        if (!event.message.is_me) view.setTyping(false);
        view.renderCard();
        this.markRead();
        this.home.refreshSoon();
        return;
      case "ack":
        if (event.client_msg_id) this.outbox.acked(event.client_msg_id, event);
        else this.stored(null, event.message_id, event);
        return;
      case "error": {
        const reason = humanError(new ApiError(400, event.error, event.message));
        if (
          !(event.client_msg_id && this.outbox.refused(event.client_msg_id, reason)) &&
          event.error !== "rate_limited"
        )
          toast(reason, "error");
        return;
      }
      case "typing":
        view.setTyping(event.is_typing);
        return;
      case "read":
        for (const id of state.partnerRead(event.up_to_id)) view.log.setStatus(id, "Read");
        return;
      case "user_online":
        state.online = true;
        view.renderCard();
        return;
      case "user_offline":
        state.online = false;
        state.lastSeen = event.last_seen;
        view.setTyping(false);
        view.renderCard();
        return;
      case "unlock":
        state.partner = event.partner;
        state.level = event.level;
        state.nextUnlockAt = event.next_unlock_at;
        view.renderCard();
        view.log.systemLine(`Level ${event.level} unlocked: you can now see ${revealedAt(event.level)}.`);
        haptic("unlock");
        this.home.refreshSoon();
        return;
      case "secret_chat_requested":
        state.incomingRequest = event.duration_minutes;
        view.renderBanner();
        return;
      case "secret_chat_started":
        state.incomingRequest = null;
        state.outgoingRequest = null;
        state.secretUntil = new Date(event.self_destruct_at);
        view.log.systemLine("Secret chat started: messages sent now disappear when it ends.");
        view.renderBanner();
        return;
      case "secret_chat_declined":
        state.outgoingRequest = null;
        view.renderBanner();
        toast("Your match said no to a secret chat this time.");
        return;
      case "secret_chat_ended":
        this.endSecretChat();
        return;
      case "match_extended":
        state.expiresAt = new Date(event.expires_at);
        view.log.systemLine(`This match was extended: ${timeLeft(state.expiresAt)}.`);
        view.renderCard();
        this.home.refreshSoon();
        return;
      case "new_match":
        this.home.newMatch(event.match_id);
        return;
      case "match_ended":
        // Another match of this user's ended (their user topic): the list says so.
        if (event.match_id !== this.matchId) this.home.matchEnded(event.match_id, event.reason);
        else this.end(state.leaving ?? ENDED_WHY[event.reason]);
        return;
      case "pong":
        return;
    }
  }

  /**
   * A message over the socket (live or replayed). One of this user's own that is still a pending
   * send (it came back before its ack, or instead of one lost with a dropped socket): that send's
   * bubble becomes it, so it is not shown twice.
   */
  private received(message: ChatMessage): void {
    const echoOf = message.is_me ? this.outbox.echo(message.message) : null;
    if (echoOf) this.settle(echoOf, message.id);
    this.show(message);
  }

  private show(message: ChatMessage): void {
    if (this.state.add(message)) this.view.log.add(message, message.is_me ? this.state.receipt(message.id) : null);
  }

  private send(text: string): boolean {
    if (this.state.ended) return false;
    const clientMsgId = this.outbox.add(text);
    this.state.sending(clientMsgId);
    this.view.log.addPending(clientMsgId, text, this.state.secretUntil);
    this.connection.sent();
    haptic("send");
    return true;
  }

  /** The server stored a send of this user's (ack over the socket, or the REST reply). */
  private stored(
    clientMsgId: string | null,
    messageId: number,
    counts: { message_count: number; unlock_progress: number },
  ): void {
    this.state.stored(messageId, counts);
    if (clientMsgId) this.settle(clientMsgId, messageId);
    this.view.renderCard();
  }

  /** A pending send is message `messageId` now: its bubble stands for it, or goes if the message is shown already. */
  private settle(clientMsgId: string, messageId: number): void {
    const outcome = this.state.confirm(clientMsgId, messageId);
    if (outcome) this.view.log.confirm(clientMsgId, messageId, outcome, this.state.receipt(messageId));
  }

  /** Tells the partner (and the unread counter) what this user has seen, when the page is visible. */
  private markRead(): void {
    if (document.visibilityState !== "visible" || this.state.ended || !this.home.screens.chatVisible) return;
    this.state.reportRead((upToId) => this.connection.send({ type: "read", up_to_id: upToId }));
  }

  private endSecretChat(): void {
    const gone = this.state.endSecretChat();
    if (!gone) return;
    this.view.log.remove(gone);
    this.view.log.systemLine("The secret chat is over; its messages are gone.");
    this.view.renderBanner();
  }

  private end(text: string): void {
    if (this.state.ended) return;
    this.state.ended = text;
    this.connection.close("match ended");
    this.outbox.close();
    this.view.closed();
    this.home.matchEnded(this.matchId, null, text);
  }
}
