// The open chat's state, without DOM: the match's counts and clocks, messages by id, pending sends, read markers.
import type { ChatMessage, PartnerProfile } from "../kernel/views";
import type { HistoryPage } from "../modules/chat/model";
import type { MatchListItem } from "../modules/matches/model";

/** What the page keeps of a message on screen. */
interface Shown {
  mine: boolean;
  secret: boolean;
}

export class ChatState {
  partner: PartnerProfile = { user_id: "Mystery User", unlock_level: 0 };
  level = 0;
  nextUnlockAt: number | null = null;
  count = 0;
  /** unlock_progress: what the levels follow (it grows only while both sides write). */
  progress = 0;
  expiresAt = new Date();
  secretUntil: Date | null = null;
  /** The sentence the closed chat shows; null while the chat is open. */
  ended: string | null = null;
  online = false;
  lastSeen: string | null = null;
  /** The partner asked for a secret chat of this many minutes. */
  incomingRequest: number | null = null;
  /** This user asked for a secret chat of this many minutes. */
  outgoingRequest: number | null = null;
  /** What to say when this user's own unmatch or block comes back as match_ended. */
  leaving: string | null = null;
  /** The history page has come: until then the clocks above are not the match's. */
  loaded = false;
  /** The newest message id seen: where the socket's `since` catches up from. */
  lastId = 0;
  /** The oldest message id shown, and whether older ones exist: where the next page starts (before_id). */
  firstId = 0;
  hasOlder = false;
  /** What extending costs this user (0 for Premium). */
  extendCost = 0;

  private readonly messages = new Map<number, Shown>();
  /** Sends waiting for the server, by client_msg_id. */
  private readonly pending = new Set<string>();
  /** Ids of this user's sends the server stored (their count is already in an ack). */
  private readonly acked = new Set<number>();
  private partnerReadUpTo = 0;
  private readSent = 0;

  /** The first page of history (its messages are added one by one). */
  load(page: HistoryPage): void {
    this.partner = page.partner;
    this.level = page.unlock_level;
    this.nextUnlockAt = page.next_unlock_at;
    this.count = page.message_count;
    this.progress = page.unlock_progress;
    this.expiresAt = new Date(page.expires_at);
    this.secretUntil = page.secret_chat_active ? new Date(page.secret_chat_expires_at!) : null;
    this.partnerReadUpTo = Math.max(this.partnerReadUpTo, page.partner_read_up_to ?? 0);
    this.extendCost = page.extend_cost;
    this.older(page);
    this.loaded = true;
  }

  /** A page of history came (the first or an older one): where the next older page starts. */
  older(page: Pick<HistoryPage, "messages" | "has_more">): void {
    const first = page.messages[0]?.id;
    if (first !== undefined) this.firstId = this.firstId === 0 ? first : Math.min(this.firstId, first);
    this.hasOlder = page.has_more;
  }

  /** The list's view of this match; true when the counts shown change. */
  sync(item: MatchListItem): boolean {
    const changed =
      item.message_count > this.count ||
      item.unlock_progress > this.progress ||
      item.expires_at !== this.expiresAt.toISOString();
    this.count = Math.max(this.count, item.message_count);
    this.progress = Math.max(this.progress, item.unlock_progress);
    this.expiresAt = new Date(item.expires_at);
    return changed;
  }

  /** Records a message; false when it is shown already or has self-destructed. */
  add(message: ChatMessage, now = new Date()): boolean {
    this.lastId = Math.max(this.lastId, message.id);
    if (this.messages.has(message.id)) return false;
    if (message.is_secret && message.self_destruct_at && new Date(message.self_destruct_at) <= now) return false;
    this.messages.set(message.id, { mine: message.is_me, secret: message.is_secret });
    return true;
  }

  /** A live message event: one more in the count, unless this page has it already or its ack counted it. */
  arrived(messageId: number): void {
    if (!this.messages.has(messageId) && !this.acked.has(messageId)) this.count += 1;
  }

  /** The receipt of one of this user's messages. */
  receipt(messageId: number): "Read" | "Sent" {
    return messageId <= this.partnerReadUpTo ? "Read" : "Sent";
  }

  /** One of this user's messages is on its way. */
  sending(clientMsgId: string): void {
    this.pending.add(clientMsgId);
  }

  /** The server stored one of this user's sends, as message `messageId`. */
  stored(messageId: number, counts: { message_count: number; unlock_progress: number }): void {
    this.acked.add(messageId);
    this.count = Math.max(this.count, counts.message_count);
    this.progress = Math.max(this.progress, counts.unlock_progress);
  }

  /**
   * A pending send has its id: "keep" when its bubble now stands for that message, "drop" when the
   * message is shown already (its event came first), null when no such send is pending.
   */
  confirm(clientMsgId: string, messageId: number): "keep" | "drop" | null {
    if (!this.pending.delete(clientMsgId)) return null;
    if (this.messages.has(messageId)) return "drop";
    this.messages.set(messageId, { mine: true, secret: this.secretUntil !== null });
    this.lastId = Math.max(this.lastId, messageId);
    return "keep";
  }

  /** The partner read up to `upToId`: the ids of this user's messages that are read now. */
  partnerRead(upToId: number): number[] {
    this.partnerReadUpTo = Math.max(this.partnerReadUpTo, upToId);
    return [...this.messages].filter(([id, shown]) => shown.mine && id <= this.partnerReadUpTo).map(([id]) => id);
  }

  /** Tells `send` the newest partner message not yet reported read; `send` says whether it went out. */
  reportRead(send: (upToId: number) => boolean): void {
    let newest = 0;
    for (const [id, shown] of this.messages) if (!shown.mine) newest = Math.max(newest, id);
    if (newest > this.readSent && send(newest)) this.readSent = newest;
  }

  /** The secret chat is over: forgets its messages and returns their ids; null when none was running. */
  endSecretChat(): number[] | null {
    if (!this.secretUntil) return null;
    this.secretUntil = null;
    const gone = [...this.messages].filter(([, shown]) => shown.secret).map(([id]) => id);
    for (const id of gone) this.messages.delete(id);
    return gone;
  }
}
