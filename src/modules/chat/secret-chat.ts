// Secret chat: one partner asks, the other accepts or declines; messages sent during it self-destruct.
import { and, eq, gt, lte, ne, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { matches, secretChatRequests, users } from "../../db/schema";
import { AppError } from "../../kernel/errors";
import { lockParticipantMatch, type Tx } from "../matches/service";
import { writeNotifications } from "../notifications/outbox";
import { banned, closedMatchError, isBanned, isSecretChatActive } from "../rules";

/** A request nobody answered lapses after this long. */
export const REQUEST_TTL_MINUTES = 10;

export interface SecretChatRequested {
  requestId: number;
  matchId: number;
  partnerId: number;
  durationMinutes: number;
}

export interface SecretChatAnswered {
  matchId: number;
  requesterId: number;
  durationMinutes: number;
  /** When the secret chat and its messages end; null when declined. */
  selfDestructAt: Date | null;
}

// Every secret-chat action starts here: the match row is locked, so requests and answers on one
// match happen one at a time, and they are refused once the match has ended or expired, or the caller is banned.
async function lockOpenMatch(tx: Tx, matchId: number, userId: number, now: Date) {
  const match = await lockParticipantMatch(tx, matchId, userId);
  const [caller] = await tx.select({ banUntil: users.banUntil }).from(users).where(eq(users.id, userId));
  if (isBanned(caller?.banUntil ?? null, now)) throw banned();
  const closed = closedMatchError(match, now);
  if (closed) throw closed;
  // A pending request past its lapse time is expired here, before anyone looks for one.
  await tx
    .update(secretChatRequests)
    .set({ status: "expired" })
    .where(
      and(
        eq(secretChatRequests.matchId, matchId),
        eq(secretChatRequests.status, "pending"),
        lte(secretChatRequests.expiresAt, now),
      ),
    );
  return match;
}

export async function requestSecretChat(
  db: Db,
  userId: number,
  matchId: number,
  durationMinutes: number,
  now = new Date(),
): Promise<SecretChatRequested> {
  return db.transaction(async (tx) => {
    const match = await lockOpenMatch(tx, matchId, userId, now);
    if (isSecretChatActive(match.secretChatExpiresAt, now)) {
      throw new AppError(409, "secret_chat_active", "A secret chat is already running in this match");
    }
    const [pending] = await tx
      .select({ id: secretChatRequests.id })
      .from(secretChatRequests)
      .where(and(eq(secretChatRequests.matchId, matchId), eq(secretChatRequests.status, "pending")));
    if (pending) throw new AppError(409, "request_pending", "A secret chat request is already pending");
    const [created] = await tx
      .insert(secretChatRequests)
      .values({
        matchId,
        requesterId: userId,
        durationMinutes,
        createdAt: now,
        expiresAt: new Date(now.getTime() + REQUEST_TTL_MINUTES * 60_000),
      })
      .returning({ id: secretChatRequests.id });
    await writeNotifications(
      tx,
      sql`SELECT ${match.partnerId}::bigint, ${matchId}::bigint, 'secret_chat'::text, 0::smallint`,
      now,
    );
    return { requestId: created!.id, matchId, partnerId: match.partnerId, durationMinutes };
  });
}

/**
 * Accepts or declines the pending request of the caller's partner. Only the partner of the
 * requester may answer; for the requester (or with nothing pending) it is 404 no_pending_request.
 */
export async function answerSecretChat(
  db: Db,
  userId: number,
  matchId: number,
  accept: boolean,
  now = new Date(),
): Promise<SecretChatAnswered> {
  return db.transaction(async (tx) => {
    await lockOpenMatch(tx, matchId, userId, now);
    const [request] = await tx
      .update(secretChatRequests)
      .set({ status: accept ? "accepted" : "declined", respondedAt: now })
      .where(
        and(
          eq(secretChatRequests.matchId, matchId),
          eq(secretChatRequests.status, "pending"),
          gt(secretChatRequests.expiresAt, now),
          ne(secretChatRequests.requesterId, userId),
        ),
      )
      .returning({ requesterId: secretChatRequests.requesterId, durationMinutes: secretChatRequests.durationMinutes });
    if (!request) throw new AppError(404, "no_pending_request", "There is no pending secret chat request for you");
    let selfDestructAt: Date | null = null;
    if (accept) {
      selfDestructAt = new Date(now.getTime() + request.durationMinutes * 60_000);
      await tx.update(matches).set({ secretChatExpiresAt: selfDestructAt }).where(eq(matches.id, matchId));
    }
    return { matchId, requesterId: request.requesterId, durationMinutes: request.durationMinutes, selfDestructAt };
  });
}
