// Safety: blocking (which ends the pair's active matches), the blocked list, reports and the auto-ban.
import { and, eq, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { at, type Db, type RawTimestamp, rows, toDate } from "../../db/client";
import { blocks, matches, messages, reports, users } from "../../db/schema";
import { AppError, invalidField } from "../../kernel/errors";
import { lockPair } from "../matches/service";
import { MAX_LEVEL, type Thresholds, viewerLevel } from "../profiles/unlock";
import {
  isPremium,
  matchNotFound,
  messageVisibleSql,
  notBannedSql,
  partnerIdRevealedSql,
  unlockProgress,
} from "../rules";
import type { BlockedItem, ReportInput } from "./model";

const messageNotFound = () => new AppError(404, "message_not_found", "Message not found");

/** Who a safety action is about: a user id, or the partner of one of the caller's matches. */
export interface Target {
  userId?: number;
  matchId?: number;
}

/** The rules a safety action needs from the config. */
export interface SafetyRules {
  readonly thresholds: Thresholds;
  /** A reporter's profile must be this old for the report to count toward the automatic ban. */
  readonly autoBanMinAccountAgeHours: number;
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

async function callerIsPremium(db: Db, callerId: number, now: Date): Promise<boolean> {
  const [caller] = await db.select({ premiumUntil: users.premiumUntil }).from(users).where(eq(users.id, callerId));
  return isPremium(caller?.premiumUntil ?? null, now);
}

/** The pair's matches whose partner id the caller sees (level 4, or the caller is premium). */
const revealedTo = (callerPremium: boolean, thresholds: Thresholds) =>
  partnerIdRevealedSql(matches, callerPremium, thresholds[MAX_LEVEL - 1]!);

/**
 * Blocks a user, by id or as the partner of one of the caller's matches; find-match never pairs a
 * blocked pair. By match, it ends that match (reason `blocked`) in the same transaction. By id the
 * reply must say nothing about the id (registered or not, stranger or hidden partner: the same
 * "done"), so the block is stored whatever the id, and it ends only the pair's matches in which
 * that id is known to the caller (revealed at level 4). Repeating a block changes nothing.
 * Returns the ids of the matches it ended, for `match_ended` events published after the commit.
 */
export async function blockUser(
  db: Db,
  thresholds: Thresholds,
  callerId: number,
  target: Target,
  reason: string | null,
  now = new Date(),
): Promise<{ blockedId: number; endedMatchIds: number[] }> {
  checkAddressing(target, "block_user_id");
  if (target.userId === callerId) throw invalidField("block_user_id", "must not be yourself");
  return db.transaction(async (tx) => {
    const viaMatchId = target.matchId ?? null;
    const blockedId = viaMatchId === null ? target.userId! : await partnerOf(tx, callerId, viaMatchId);
    await lockPair(tx, callerId, blockedId);
    // A caller who has not registered yet (no users row) may still block someone by id.
    await tx.insert(users).values({ id: callerId }).onConflictDoNothing();
    await tx
      .insert(blocks)
      .values({ blockerId: callerId, blockedId, viaMatchId, reason, createdAt: now })
      .onConflictDoNothing();
    const which =
      viaMatchId === null
        ? sql`${pairOf(callerId, blockedId)} AND ${revealedTo(await callerIsPremium(tx, callerId, now), thresholds)}`
        : pairOf(callerId, blockedId);
    const ended = await tx
      .update(matches)
      .set({ isActive: false, endedAt: now, endedBy: callerId, endReason: "blocked" })
      .where(and(eq(matches.isActive, true), which))
      .returning({ id: matches.id });
    return { blockedId, endedMatchIds: ended.map((match) => match.id) };
  });
}

/** Lifts the caller's block on a user, if any: the same reply whatever the id. Matches the block ended stay ended. */
export async function unblockUser(db: Db, callerId: number, target: Target): Promise<void> {
  checkAddressing(target, "block_user_id");
  if (target.userId === callerId) throw invalidField("block_user_id", "must not be yourself");
  const blockedId = target.matchId === undefined ? target.userId! : await partnerOf(db, callerId, target.matchId);
  await db.delete(blocks).where(and(eq(blocks.blockerId, callerId), eq(blocks.blockedId, blockedId)));
}

/**
 * The caller's blocks, newest first by the block's own sequence (never by a user id, whose order
 * would tell a hidden id's neighbourhood). The blocked user's id is shown only where the caller
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
    messagesA: number | null;
    messagesB: number | null;
  }>(
    db,
    sql`SELECT b.blocked_id AS "blockedId", b.via_match_id AS "viaMatchId", b.reason, b.created_at AS "createdAt",
          m.message_count AS "messageCount", m.messages_a AS "messagesA", m.messages_b AS "messagesB"
        FROM blocks b LEFT JOIN matches m ON m.id = b.via_match_id
        WHERE b.blocker_id = ${callerId}
        ORDER BY b.seq DESC`,
  );
  const premium = await callerIsPremium(db, callerId, now);
  return list.map((block) => {
    const progress = unlockProgress({
      messageCount: block.messageCount ?? 0,
      messagesA: block.messagesA ?? 0,
      messagesB: block.messagesB ?? 0,
    });
    const known = block.viaMatchId === null || viewerLevel(progress, thresholds, premium) === MAX_LEVEL;
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
/** The reporter's row, as the counting query names it. */
const r = alias(users, "r");
/** Messages the reported user must have written in the match for a report about it to count. */
const AUTO_BAN_MIN_MESSAGES = 3;
export const AUTO_BAN_REASON = `auto: ${AUTO_BAN_REPORTERS} reports in ${AUTO_BAN_WINDOW_DAYS} days`;

/**
 * The match a report is about: the caller's match named by id, or, by user id, the match the caller
 * shares (or shared) with that user, only when the id is known to the caller (revealed at level 4
 * there, or given in a by-id block). Any other id, partner or not, is the 404 of a missing match:
 * the reply says nothing the caller does not already know.
 */
async function reportedMatch(db: Db, thresholds: Thresholds, callerId: number, input: ReportInput, now: Date) {
  checkAddressing({ userId: input.reported_user_id, matchId: input.match_id }, "reported_user_id");
  if (input.match_id !== undefined) {
    return { matchId: input.match_id, reportedId: await partnerOf(db, callerId, input.match_id) };
  }
  const reportedId = input.reported_user_id!;
  if (reportedId === callerId) throw invalidField("reported_user_id", "must not be yourself");
  const premium = await callerIsPremium(db, callerId, now);
  const givenById = sql`EXISTS (SELECT 1 FROM ${blocks} WHERE ${blocks.blockerId} = ${callerId}
    AND ${blocks.blockedId} = ${reportedId} AND ${blocks.viaMatchId} IS NULL)`;
  const [match] = await db
    .select({ id: matches.id })
    .from(matches)
    .where(sql`${pairOf(callerId, reportedId)} AND (${revealedTo(premium, thresholds)} OR ${givenById})`);
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
 * Stores a report against a user the reporter shares (or shared) a match with; every report is
 * kept for the operators. It counts toward the automatic ban only when the reported user wrote
 * at least 3 messages in that match, the reporter's profile is at least
 * `autoBanMinAccountAgeHours` old, and the reporter is not banned — so fresh accounts that merely
 * matched someone cannot ban them. When a counting report brings the distinct counting reporters
 * of that user within the last 7 days to 3 or more (dismissed reports aside), the user is banned
 * for 48 hours from now, unless already banned for longer. A reporter already counted in the
 * window adds nobody, so repeating a report neither bans nor extends a ban.
 */
export async function createReport(
  db: Db,
  rules: SafetyRules,
  callerId: number,
  input: ReportInput,
  now = new Date(),
): Promise<{ reportId: number; banned: number | null }> {
  if (input.reason.trim() === "") throw invalidField("reason", "must not be only whitespace");
  return db.transaction(async (tx) => {
    const { matchId, reportedId } = await reportedMatch(tx, rules.thresholds, callerId, input, now);
    const oldEnough = new Date(now.getTime() - rules.autoBanMinAccountAgeHours * 3600_000);
    const [counting] = await rows<{ counts: boolean }>(
      tx,
      sql`SELECT (CASE WHEN m.user_a = ${reportedId} THEN m.messages_a ELSE m.messages_b END) >= ${AUTO_BAN_MIN_MESSAGES}
               AND r.profile_created_at <= ${at(oldEnough)} AND ${notBannedSql(r, now)} AS counts
          FROM matches m, users r WHERE m.id = ${matchId} AND r.id = ${callerId}`,
    );
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
        countsTowardBan: counting?.counts === true,
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
          WHERE reported_user_id = ${reportedId} AND created_at > ${at(windowStart)} AND status <> 'dismissed'
            AND counts_toward_ban`,
    );
    const bans = counting?.counts === true && tally!.reporters >= AUTO_BAN_REPORTERS && tally!.mine === 1;
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
