// Reading a chat: history pages, the replay for a reconnecting socket, and read markers.
import { and, desc, eq, gt, lt, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { at, type Db, rows } from "../../db/client";
import { messages, users } from "../../db/schema";
import type { ChatMessage } from "../../kernel/views";
import { loadParticipantMatch } from "../matches/service";
import { photoLinks } from "../photos/token";
import { partnerView, type Thresholds, unlockState } from "../profiles/unlock";
import { banned, extensionPrice, isMatchOpen, isSecretChatActive, messageVisibleSql, notBannedSql } from "../rules";
import type { HistoryPage } from "./model";
import type { StoredMessage } from "./store";

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

export interface HistoryArgs {
  matchId: number;
  userId: number;
  beforeId?: number;
  limit: number;
  /** EXTEND_COST_COINS: what a free user pays to extend. */
  extendCost: number;
}

/** One page of a match's history, newest page first, oldest message first within it. */
export async function getHistory(
  db: Db,
  { unlockThresholds: thresholds, jwtSecret }: { unlockThresholds: Thresholds; jwtSecret: string },
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
        messageVisibleSql(messages, now),
      ),
    )
    .orderBy(desc(messages.id))
    .limit(args.limit + 1);

  const hasMore = page.length > args.limit;
  const visible = page.slice(0, args.limit).reverse();
  const state = unlockState(match, thresholds, match.viewerIsPremium);
  const secretChatActive = isSecretChatActive(match.secretChatExpiresAt, now);
  return {
    success: true,
    match_id: match.id,
    partner: partnerView(match.partner, state.unlock_level, photoLinks(jwtSecret).linkFor(args.userId, match.id, now)),
    messages: visible.map((message) => messageView(message, args.userId)),
    ...state,
    expires_at: match.expiresAt.toISOString(),
    is_active: isMatchOpen(match, now),
    secret_chat_active: secretChatActive,
    secret_chat_expires_at: secretChatActive ? match.secretChatExpiresAt!.toISOString() : null,
    has_more: hasMore,
    partner_read_up_to: match.partnerReadUpTo,
    extend_cost: extensionPrice(match.viewerIsPremium, args.extendCost),
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
    .where(and(eq(messages.matchId, matchId), gt(messages.id, sinceId), messageVisibleSql(messages, now)))
    .orderBy(messages.id)
    .limit(limit + 1);
  return { messages: page.slice(0, limit).map((m) => messageView(m, viewerId)), hasMore: page.length > limit };
}

/**
 * Moves the reader's marker forward to `upToId` (never back, never past the match's last
 * message) and returns where it now stands; it drives `unread_count`. A banned reader moves nothing.
 */
const u = alias(users, "u");

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
        SELECT ${matchId}, u.id,
               LEAST(${upToId}::bigint, (SELECT coalesce(max(id), 0) FROM messages WHERE match_id = ${matchId})),
               ${at(now)}
        FROM users u WHERE u.id = ${userId} AND ${notBannedSql(u, now)}
        ON CONFLICT (match_id, user_id) DO UPDATE
          SET last_read_id = GREATEST(read_markers.last_read_id, EXCLUDED.last_read_id), updated_at = EXCLUDED.updated_at
        RETURNING last_read_id AS "lastReadId"`,
  );
  if (!row) throw banned();
  return row.lastReadId;
}
