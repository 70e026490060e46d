// Safety: blocking (which ends the pair's active matches), the blocked list, reports and the auto-ban.
import { and, eq, sql } from "drizzle-orm";
import { at, type Db, type RawTimestamp, rows, toDate } from "../../db/client";
import { blocks, matches, messages, reports, users } from "../../db/schema";
import { AppError, invalidField } from "../../kernel/errors";
import { lockPair } from "../matches/service";
import { MAX_LEVEL, type Thresholds, viewerLevel } from "../profiles/unlock";
import { isPremium, matchNotFound, messageVisibleSql, userNotFound } from "../rules";
import type { BlockedItem, ReportInput } from "./model";

const messageNotFound = () => new AppError(404, "message_not_found", "Message not found");

/** Who a safety action is about: a user id, or the partner of one of the caller's matches. */
export interface Target {
  userId?: number;
  matchId?: number;
}

interface ResolvedTarget {
  userId: number;
  /** The match the target was named by, when it was named by match. */
  viaMatchId: number | null;
}

/** The match rows of the pair {a, b}, whichever side asked for the match. */
const pairOf = (a: number, b: number) =>
  sql`least(${matches.userA}, ${matches.userB}) = least(${a}::bigint, ${b}::bigint)
    AND greatest(${matches.userA}, ${matches.userB}) = greatest(${a}::bigint, ${b}::bigint)`;

/** Exactly one way of naming the target; `idField` is the body field that carries a user id. */
function checkAddressing(target: Target, idField: string): void {
  if ((target.userId === undefined) === (target.matchId === undefined)) {
    throw invalidField(idField, `give exactly one of ${idField} and match_id`);
  }
}

/** The partner of a match the caller is part of; anyone else gets the 404 of a missing match. */
async function partnerOf(db: Db, callerId: number, matchId: number): Promise<number> {
  const [match] = await db
    .select({ userA: matches.userA, userB: matches.userB })
    .from(matches)
    .where(eq(matches.id, matchId));
  if (!match || (match.userA !== callerId && match.userB !== callerId)) throw matchNotFound();
  return match.userA === callerId ? match.userB : match.userA;
}

/** Resolves a block/unblock target: the partner of the caller's match, or an existing user other than the caller. */
async function resolveBlockTarget(db: Db, callerId: number, target: Target): Promise<ResolvedTarget> {
  checkAddressing(target, "block_user_id");
  if (target.matchId !== undefined) {
    return { userId: await partnerOf(db, callerId, target.matchId), viaMatchId: target.matchId };
  }
  const userId = target.userId!;
  if (userId === callerId) throw invalidField("block_user_id", "must not be yourself");
  const [user] = await db.select({ id: users.id }).from(users).where(eq(users.id, userId));
  if (!user) throw userNotFound();
  return { userId, viaMatchId: null };
}

/**
 * Blocks a user, by id or as the partner of one of the caller's matches, and in the same
 * transaction ends every active match between the two (reason `blocked`), so neither can write
 * into it again; find-match never pairs a blocked pair. Repeating a block changes nothing.
 * Returns the ids of the matches it ended, for `match_ended` events published after the commit.
 */
export async function blockUser(
  db: Db,
  callerId: number,
  target: Target,
  reason: string | null,
  now = new Date(),
): Promise<{ blockedId: number; endedMatchIds: number[] }> {
  return db.transaction(async (tx) => {
    const blocked = await resolveBlockTarget(tx, callerId, target);
    await lockPair(tx, callerId, blocked.userId);
    // A caller who has not registered yet (no users row) may still block someone by id.
    await tx.insert(users).values({ id: callerId }).onConflictDoNothing();
    await tx
      .insert(blocks)
      .values({
        blockerId: callerId,
        blockedId: blocked.userId,
        viaMatchId: blocked.viaMatchId,
        reason,
        createdAt: now,
      })
      .onConflictDoNothing();
    const ended = await tx
      .update(matches)
      .set({ isActive: false, endedAt: now, endedBy: callerId, endReason: "blocked" })
      .where(and(eq(matches.isActive, true), pairOf(callerId, blocked.userId)))
      .returning({ id: matches.id });
    return { blockedId: blocked.userId, endedMatchIds: ended.map((match) => match.id) };
  });
}

/** Lifts the caller's block on a user, if any. Matches the block ended stay ended. */
export async function unblockUser(db: Db, callerId: number, target: Target): Promise<void> {
  const blocked = await resolveBlockTarget(db, callerId, target);
  await db.delete(blocks).where(and(eq(blocks.blockerId, callerId), eq(blocks.blockedId, blocked.userId)));
}

/**
 * The caller's blocks, newest first. The blocked user's id is shown only where the caller
 * already knew it: the block was made by id, or the match it was made from has unlocked the
 * partner's id for the caller (level 4, or the caller is premium now). Otherwise only the match
 * it came from is named.
 */
export async function listBlocks(
  db: Db,
  thresholds: Thresholds,
  callerId: number,
  now = new Date(),
): Promise<BlockedItem[]> {
  const list = await rows<{
    blockedId: number;
    viaMatchId: number | null;
    reason: string | null;
    createdAt: RawTimestamp;
    messageCount: number | null;
  }>(
    db,
    sql`SELECT b.blocked_id AS "blockedId", b.via_match_id AS "viaMatchId", b.reason, b.created_at AS "createdAt",
          m.message_count AS "messageCount"
        FROM blocks b LEFT JOIN matches m ON m.id = b.via_match_id
        WHERE b.blocker_id = ${callerId}
        ORDER BY b.created_at DESC, b.blocked_id DESC`,
  );
  const [caller] = await db.select({ premiumUntil: users.premiumUntil }).from(users).where(eq(users.id, callerId));
  const premium = isPremium(caller?.premiumUntil ?? null, now);
  return list.map((block) => {
    const known = block.viaMatchId === null || viewerLevel(block.messageCount ?? 0, thresholds, premium) === MAX_LEVEL;
    return {
      block_user_id: known ? block.blockedId : null,
      match_id: block.viaMatchId,
      reason: block.reason,
      created_at: toDate(block.createdAt).toISOString(),
    };
  });
}

const AUTO_BAN_REPORTERS = 3;
const AUTO_BAN_WINDOW_DAYS = 7;
const AUTO_BAN_HOURS = 48;
export const AUTO_BAN_REASON = `auto: ${AUTO_BAN_REPORTERS} reports in ${AUTO_BAN_WINDOW_DAYS} days`;

/**
 * The match a report is about: the caller's match named by id, or the match the caller shares
 * (or shared) with the reported user. Without one the reply is the 404 of a missing match, which
 * says nothing about whether the user exists.
 */
async function reportedMatch(db: Db, callerId: number, input: ReportInput) {
  checkAddressing({ userId: input.reported_user_id, matchId: input.match_id }, "reported_user_id");
  if (input.match_id !== undefined) {
    return { matchId: input.match_id, reportedId: await partnerOf(db, callerId, input.match_id) };
  }
  const reportedId = input.reported_user_id!;
  if (reportedId === callerId) throw invalidField("reported_user_id", "must not be yourself");
  const [match] = await db.select({ id: matches.id }).from(matches).where(pairOf(callerId, reportedId));
  if (!match) throw matchNotFound();
  return { matchId: match.id, reportedId };
}

/**
 * The text of a reported message, copied into the report so the evidence outlives the message.
 * It must be the reported user's message in the match the two share, and not self-destructed.
 */
async function messageEvidence(
  db: Db,
  contentId: string | number | undefined,
  matchId: number,
  reportedId: number,
  now: Date,
) {
  if (contentId === undefined) throw invalidField("content_id", 'is required when content_type is "message"');
  const messageId = Number(contentId);
  if (!/^\d+$/.test(String(contentId)) || !Number.isSafeInteger(messageId) || messageId < 1) {
    throw invalidField("content_id", "must be a message id");
  }
  const [message] = await db
    .select({ text: messages.text })
    .from(messages)
    .where(
      sql`${messages.id} = ${messageId} AND ${messages.matchId} = ${matchId} AND ${messages.senderId} = ${reportedId}
        AND ${messageVisibleSql(messages, now)}`,
    );
  if (!message) throw messageNotFound();
  return message.text;
}

/**
 * Stores a report against a user the reporter shares (or shared) a match with. Auto-ban: when
 * this report brings the number of distinct reporters of that user within the last 7 days to 3
 * or more (dismissed reports aside), the user is banned for 48 hours from now, unless already
 * banned for longer. A reporter already counted in the window adds nobody, so repeating a report
 * neither bans nor extends a ban.
 */
export async function createReport(
  db: Db,
  callerId: number,
  input: ReportInput,
  now = new Date(),
): Promise<{ reportId: number; banned: number | null }> {
  if (input.reason.trim() === "") throw invalidField("reason", "must not be only whitespace");
  return db.transaction(async (tx) => {
    const { matchId, reportedId } = await reportedMatch(tx, callerId, input);
    const evidence =
      input.content_type === "message" ? await messageEvidence(tx, input.content_id, matchId, reportedId, now) : null;
    const [report] = await tx
      .insert(reports)
      .values({
        reporterId: callerId,
        reportedUserId: reportedId,
        matchId,
        contentType: input.content_type,
        contentId: input.content_id === undefined ? null : String(input.content_id),
        evidence,
        reason: input.reason,
        createdAt: now,
      })
      .returning({ id: reports.id });

    // Concurrent reports against one user queue on this row lock, so each count below sees every
    // report committed before it and exactly one of them crosses the threshold. FOR NO KEY UPDATE,
    // not FOR UPDATE: the INSERT above holds the FOR KEY SHARE lock of its foreign key on this row,
    // which FOR UPDATE would wait for in the other transactions, a deadlock.
    await tx.execute(sql`SELECT 1 FROM users WHERE id = ${reportedId} FOR NO KEY UPDATE`);
    const windowStart = new Date(now.getTime() - AUTO_BAN_WINDOW_DAYS * 86_400_000);
    const [tally] = await rows<{ reporters: number; mine: number }>(
      tx,
      sql`SELECT count(DISTINCT reporter_id) AS reporters, count(*) FILTER (WHERE reporter_id = ${callerId}) AS mine
          FROM reports
          WHERE reported_user_id = ${reportedId} AND created_at > ${at(windowStart)} AND status <> 'dismissed'`,
    );
    const bans = tally!.reporters >= AUTO_BAN_REPORTERS && tally!.mine === 1;
    if (bans) {
      const banUntil = new Date(now.getTime() + AUTO_BAN_HOURS * 3600_000);
      // SET reads the old row: the reason changes only when the auto-ban is the longer ban.
      await tx.execute(
        sql`UPDATE users SET
              ban_reason = CASE WHEN ban_until IS NULL OR ban_until < ${at(banUntil)} THEN ${AUTO_BAN_REASON} ELSE ban_reason END,
              ban_until = greatest(coalesce(ban_until, ${at(now)}), ${at(banUntil)}),
              updated_at = ${at(now)}
            WHERE id = ${reportedId}`,
      );
    }
    return { reportId: report!.id, banned: bans ? reportedId : null };
  });
}
