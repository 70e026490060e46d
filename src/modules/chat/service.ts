// Chat: storing a message with its count in one statement, idempotent retries, and history pages.
import { and, desc, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import { at, type Db, isUniqueViolation, type RawTimestamp, rows, toDate, toDateOrNull } from "../../db/client";
import { messages } from "../../db/schema";
import { AppError } from "../../http/errors";
import { banned, closedMatchError, loadParticipantMatch, matchNotFound } from "../matches/service";
import { partnerView, type Thresholds, unlockState } from "../profiles/unlock";
import type { ChatMessage, HistoryPage } from "./model";

/** A message as stored, for replies and for the events published after the commit. */
export interface StoredMessage {
  id: number;
  matchId: number;
  senderId: number;
  text: string;
  /** The match's message count right after this message. */
  seq: number;
  isSecret: boolean;
  selfDestructAt: Date | null;
  createdAt: Date;
}

export interface SendResult {
  message: StoredMessage;
  /** The other participant, to address the events published after the commit. */
  partnerId: number;
  senderIsPremium: boolean;
  /** True when a retried client_msg_id returned the first message and stored nothing. */
  replayed: boolean;
}

export interface SendArgs {
  matchId: number;
  senderId: number;
  text: string;
  clientMsgId?: string;
}

/** A stored message as one participant sees it, in history pages and in `message` events. */
export function messageView(
  message: Pick<StoredMessage, "id" | "senderId" | "text" | "createdAt" | "isSecret" | "selfDestructAt">,
  viewerId: number,
): ChatMessage {
  return {
    id: message.id,
    is_me: message.senderId === viewerId,
    message: message.text,
    timestamp: message.createdAt.toISOString(),
    is_secret: message.isSecret,
    self_destruct_at: message.selfDestructAt?.toISOString() ?? null,
  };
}

const viewFields = {
  id: messages.id,
  senderId: messages.senderId,
  text: messages.text,
  createdAt: messages.createdAt,
  isSecret: messages.isSecret,
  selfDestructAt: messages.selfDestructAt,
};

/** Self-destructed messages are never returned, even before the sweeper deletes them. */
const notSelfDestructed = (now: Date) => or(isNull(messages.selfDestructAt), gt(messages.selfDestructAt, now));

export type MessageRow = Omit<StoredMessage, "selfDestructAt" | "createdAt"> & {
  selfDestructAt: RawTimestamp | null;
  createdAt: RawTimestamp;
  senderPremiumUntil: RawTimestamp | null;
  partnerId: number;
};

export const messageColumns = sql.raw(
  `id, match_id AS "matchId", sender_id AS "senderId", text, seq, is_secret AS "isSecret",
   self_destruct_at AS "selfDestructAt", created_at AS "createdAt"`,
);

export function toResult(row: MessageRow, now: Date, replayed: boolean): SendResult {
  const premiumUntil = toDateOrNull(row.senderPremiumUntil);
  return {
    message: {
      id: row.id,
      matchId: row.matchId,
      senderId: row.senderId,
      text: row.text,
      seq: row.seq,
      isSecret: row.isSecret,
      selfDestructAt: toDateOrNull(row.selfDestructAt),
      createdAt: toDate(row.createdAt),
    },
    partnerId: row.partnerId,
    senderIsPremium: premiumUntil !== null && premiumUntil > now,
    replayed,
  };
}

/**
 * One statement, hence one transaction: bump the match's count (which also locks the match row,
 * so concurrent sends get consecutive counts) and insert the message with that count. Nothing is
 * written unless the sender is an unbanned participant of an active, unexpired match. During a
 * secret chat the message is stored secret, to be deleted when the secret chat ends.
 */
async function insertMessage(db: Db, args: SendArgs, now: Date): Promise<MessageRow | undefined> {
  const [row] = await rows<MessageRow>(
    db,
    sql`WITH sender AS (
          SELECT premium_until FROM users
          WHERE id = ${args.senderId} AND (ban_until IS NULL OR ban_until <= ${at(now)})
        ), bumped AS (
          UPDATE matches SET message_count = message_count + 1, last_message_at = ${at(now)}
          WHERE id = ${args.matchId} AND (user_a = ${args.senderId} OR user_b = ${args.senderId})
            AND is_active AND expires_at > ${at(now)} AND EXISTS (SELECT 1 FROM sender)
          RETURNING id, message_count, secret_chat_expires_at,
                    CASE WHEN user_a = ${args.senderId} THEN user_b ELSE user_a END AS partner_id
        ), inserted AS (
          INSERT INTO messages (match_id, sender_id, text, seq, client_msg_id, is_secret, self_destruct_at, created_at)
          SELECT id, ${args.senderId}, ${args.text}, message_count, ${args.clientMsgId ?? null},
                 coalesce(secret_chat_expires_at > ${at(now)}, false),
                 CASE WHEN secret_chat_expires_at > ${at(now)} THEN secret_chat_expires_at END,
                 ${at(now)}
          FROM bumped
          RETURNING ${messageColumns}
        )
        SELECT inserted.*, (SELECT premium_until FROM sender) AS "senderPremiumUntil",
               (SELECT partner_id FROM bumped) AS "partnerId"
        FROM inserted`,
  );
  return row;
}

async function findByClientMsgId(db: Db, args: SendArgs): Promise<MessageRow | undefined> {
  const [row] = await rows<MessageRow>(
    db,
    sql`SELECT ${messageColumns}, (SELECT premium_until FROM users WHERE id = ${args.senderId}) AS "senderPremiumUntil",
          (SELECT CASE WHEN m.user_a = ${args.senderId} THEN m.user_b ELSE m.user_a END
             FROM matches m WHERE m.id = ${args.matchId}) AS "partnerId"
        FROM messages
        WHERE match_id = ${args.matchId} AND sender_id = ${args.senderId} AND client_msg_id = ${args.clientMsgId ?? null}`,
  );
  return row;
}

/** Says why a send stored nothing: the first rule the sender or the match breaks. */
async function refusal(db: Db, args: SendArgs, now: Date): Promise<AppError | null> {
  const [state] = await rows<{
    banUntil: RawTimestamp | null;
    participant: boolean | null;
    isActive: boolean | null;
    endReason: string | null;
    expiresAt: RawTimestamp | null;
  }>(
    db,
    sql`SELECT (SELECT ban_until FROM users WHERE id = ${args.senderId}) AS "banUntil",
          m.user_a = ${args.senderId} OR m.user_b = ${args.senderId} AS participant,
          m.is_active AS "isActive", m.end_reason AS "endReason", m.expires_at AS "expiresAt"
        FROM (SELECT 1) AS one LEFT JOIN matches m ON m.id = ${args.matchId}`,
  );
  const banUntil = toDateOrNull(state?.banUntil ?? null);
  if (banUntil !== null && banUntil > now) return banned();
  if (!state?.participant) return matchNotFound();
  return closedMatchError(
    { isActive: state.isActive!, endReason: state.endReason, expiresAt: toDate(state.expiresAt!) },
    now,
  );
}

// A send that raced a change of the match (an extension, a lifted ban) is tried once more.
const SEND_ATTEMPTS = 2;

/**
 * Stores a message and returns it only after it committed, so the caller may publish it at once.
 * With a client_msg_id, a retry returns the first message and stores nothing new.
 */
export async function sendMessage(db: Db, args: SendArgs, now = new Date()): Promise<SendResult> {
  for (let attempt = 0; attempt < SEND_ATTEMPTS; attempt++) {
    let row: MessageRow | undefined;
    try {
      row = await insertMessage(db, args, now);
    } catch (error) {
      // Two sends with one client_msg_id raced: the loser's whole statement rolled back.
      if (!(args.clientMsgId && isUniqueViolation(error))) throw error;
    }
    if (row) return toResult(row, now, false);
    if (args.clientMsgId) {
      const first = await findByClientMsgId(db, args);
      if (first) return toResult(first, now, true);
    }
    const reason = await refusal(db, args, now);
    if (reason) throw reason;
  }
  throw new AppError(409, "conflict", "The match changed while sending; please retry");
}

export interface HistoryArgs {
  matchId: number;
  userId: number;
  beforeId?: number;
  limit: number;
}

/** One page of a match's history, newest page first, oldest message first within it. */
export async function getHistory(
  db: Db,
  thresholds: Thresholds,
  args: HistoryArgs,
  now = new Date(),
): Promise<HistoryPage> {
  const match = await loadParticipantMatch(db, args.matchId, args.userId, now);
  const page = await db
    .select(viewFields)
    .from(messages)
    .where(
      and(
        eq(messages.matchId, args.matchId),
        args.beforeId === undefined ? undefined : lt(messages.id, args.beforeId),
        notSelfDestructed(now),
      ),
    )
    .orderBy(desc(messages.id))
    .limit(args.limit + 1);

  const hasMore = page.length > args.limit;
  const visible = page.slice(0, args.limit).reverse();
  const state = unlockState(match.messageCount, thresholds, match.viewerIsPremium);
  const secretChatActive = match.secretChatExpiresAt !== null && match.secretChatExpiresAt > now;
  return {
    success: true,
    match_id: match.id,
    partner: partnerView(match.partner, state.unlock_level),
    messages: visible.map((message) => messageView(message, args.userId)),
    ...state,
    expires_at: match.expiresAt.toISOString(),
    is_active: match.isActive && match.expiresAt > now,
    secret_chat_active: secretChatActive,
    secret_chat_expires_at: secretChatActive ? match.secretChatExpiresAt!.toISOString() : null,
    has_more: hasMore,
  };
}

/** Replay for a reconnecting socket: at most `limit` messages after `sinceId`, oldest first. */
export async function messagesAfter(
  db: Db,
  matchId: number,
  sinceId: number,
  viewerId: number,
  limit: number,
  now = new Date(),
): Promise<{ messages: ChatMessage[]; hasMore: boolean }> {
  const page = await db
    .select(viewFields)
    .from(messages)
    .where(and(eq(messages.matchId, matchId), gt(messages.id, sinceId), notSelfDestructed(now)))
    .orderBy(messages.id)
    .limit(limit + 1);
  return { messages: page.slice(0, limit).map((m) => messageView(m, viewerId)), hasMore: page.length > limit };
}

/**
 * Moves the reader's marker forward to `upToId` (never back, never past the match's last
 * message) and returns where it now stands; it drives `unread_count`.
 */
export async function markRead(
  db: Db,
  matchId: number,
  userId: number,
  upToId: number,
  now = new Date(),
): Promise<number> {
  const [row] = await rows<{ lastReadId: number }>(
    db,
    sql`INSERT INTO read_markers (match_id, user_id, last_read_id, updated_at)
        VALUES (${matchId}, ${userId},
                LEAST(${upToId}::bigint, (SELECT coalesce(max(id), 0) FROM messages WHERE match_id = ${matchId})),
                ${at(now)})
        ON CONFLICT (match_id, user_id) DO UPDATE
          SET last_read_id = GREATEST(read_markers.last_read_id, EXCLUDED.last_read_id), updated_at = EXCLUDED.updated_at
        RETURNING last_read_id AS "lastReadId"`,
  );
  return row!.lastReadId;
}
