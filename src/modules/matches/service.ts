// Matching: the atomic daily quota, the random pick, the caller's match list and stats.
import { and, eq, or, type SQL, sql } from "drizzle-orm";
import { at, type Db, type RawTimestamp, rows, toDate, toDateOrNull } from "../../db/client";
import { matches, users } from "../../db/schema";
import { AppError, invalidField } from "../../http/errors";
import { userNotFound } from "../profiles/service";
import { isPremium, type ProfileRow, partnerView, type Thresholds, unlockState } from "../profiles/unlock";
import type { FindMatchInput, FoundMatch, MatchListItem, Stats } from "./model";

export interface MatchRules {
  readonly dailyMatchLimit: number;
  readonly matchLifetimeHours: number;
  readonly unlockThresholds: Thresholds;
}

export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export const banned = () => new AppError(403, "banned", "Your account is suspended");

/** The UTC calendar day of `now`, as the daily limit counts it. */
const utcDay = (now: Date) => now.toISOString().slice(0, 10);

// Rows of the partner's profile, aliased to ProfileRow's names.
const partnerColumns = (alias: string) =>
  sql.raw(
    `${alias}.id, ${alias}.gender, ${alias}.age, ${alias}.city, ${alias}.bio, ${alias}.interests, ${alias}.photo_url AS "photoUrl"`,
  );

interface Caller {
  age: number | null;
  premiumUntil: RawTimestamp | null;
  banUntil: RawTimestamp | null;
  /** Today's count after this request took one, or null when nothing was taken. */
  taken: number | null;
}

/**
 * Reads the caller and, when they may look for a match (a profile, no ban), takes one match from
 * today's quota, in one statement. Premium users take without a limit; a free user at the limit
 * takes nothing. The upsert locks the (user, day) row until the transaction ends, so concurrent
 * requests by one user queue here and can never exceed the limit; a rolled-back transaction (no
 * candidate) gives it back.
 */
async function readCallerTakingQuota(tx: Tx, userId: number, limit: number, now: Date): Promise<Caller | undefined> {
  const [caller] = await rows<Caller>(
    tx,
    sql`WITH caller AS (
          SELECT age, premium_until, ban_until FROM users WHERE id = ${userId}
        ), taken AS (
          INSERT INTO daily_match_counts (user_id, day, count)
          SELECT ${userId}, ${utcDay(now)}, 1 FROM caller
          WHERE age IS NOT NULL AND (ban_until IS NULL OR ban_until <= ${at(now)})
          ON CONFLICT (user_id, day) DO UPDATE SET count = daily_match_counts.count + 1
          WHERE daily_match_counts.count < ${limit}
             OR EXISTS (SELECT 1 FROM caller WHERE premium_until > ${at(now)})
          RETURNING count
        )
        SELECT age, premium_until AS "premiumUntil", ban_until AS "banUntil", (SELECT count FROM taken) AS taken
        FROM caller`,
  );
  return caller;
}

const dailyLimitReached = (limit: number) =>
  new AppError(429, "daily_limit_reached", `You've reached your daily limit of ${limit} matches. Upgrade to Premium!`);

interface PickFilters {
  ageMin: number;
  ageMax: number;
  gender: string | null;
  city: string | null;
}

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, "\\$&")}%`;

/**
 * Rows the pick looks at on each side of its random starting point, at most. It bounds the cost
 * of a filter that (almost) nobody passes, e.g. a premium city filter naming a town with no users:
 * such a pick answers no_matches_found after reading 2 × PICK_WINDOW index entries, never the table.
 */
const PICK_WINDOW = 10_000;

/**
 * One random eligible candidate, with the pair's lock (see lockPair) taken. The index on random_key
 * is walked from a random point (and, wrapping around, from the start) for at most PICK_WINDOW rows
 * each way; the walk stops at the first row that passes every rule. Eligible: has a profile, is not
 * the caller, not banned, age in range, not blocked in either direction, never matched with the
 * caller before.
 */
async function pickAndLockCandidate(
  tx: Tx,
  userId: number,
  filters: PickFilters,
  now: Date,
): Promise<ProfileRow | null> {
  const start = Math.random();
  const gender = filters.gender === null ? sql`` : sql`AND gender = ${filters.gender}`;
  const window = (side: SQL) =>
    sql`(SELECT * FROM users WHERE age IS NOT NULL AND ${side} ${gender} ORDER BY random_key LIMIT ${PICK_WINDOW})`;
  const eligible = sql`
    u.id <> ${userId}
    AND u.age BETWEEN ${filters.ageMin} AND ${filters.ageMax}
    ${filters.city === null ? sql`` : sql`AND u.city ILIKE ${likePattern(filters.city)}`}
    AND (u.ban_until IS NULL OR u.ban_until <= ${at(now)})
    AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = ${userId} AND b.blocked_id = u.id)
    AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = u.id AND b.blocked_id = ${userId})
    AND NOT EXISTS (
      SELECT 1 FROM matches m
      WHERE least(m.user_a, m.user_b) = least(${userId}::bigint, u.id)
        AND greatest(m.user_a, m.user_b) = greatest(${userId}::bigint, u.id)
    )`;
  const pick = (side: SQL) =>
    sql`(SELECT ${partnerColumns("u")}, u.random_key FROM ${window(side)} u WHERE ${eligible} ORDER BY u.random_key LIMIT 1)`;
  // The lock is taken in the outer query, so only for the one row the LIMIT lets through.
  const [candidate] = await rows<ProfileRow>(
    tx,
    sql`SELECT c.id, c.gender, c.age, c.city, c.bio, c.interests, c."photoUrl",
               pg_advisory_xact_lock(${pairLockKey(sql`${userId}::bigint`, sql`c.id`)}) IS NULL AS locked
        FROM (${pick(sql`random_key >= ${start}`)} UNION ALL ${pick(sql`random_key < ${start}`)} LIMIT 1) c`,
  );
  if (!candidate) return null;
  const { locked: _, ...partner } = candidate as ProfileRow & { locked: unknown };
  return partner;
}

/**
 * The advisory-lock key of an unordered pair of users: one lock serialises find-match and block
 * for that pair (the `${min}:${max}` text, hashed by PostgreSQL), so a block either commits
 * before the pick's next statement re-checks it, or ends the match the pick created.
 */
const pairLockKey = (a: SQL, b: SQL) =>
  sql`hashtextextended(least(${a}, ${b})::text || ':' || greatest(${a}, ${b})::text, 0)`;

/** Takes the pair's lock (pairLockKey) until the transaction ends. */
export async function lockPair(tx: Tx, a: number, b: number): Promise<void> {
  await rows(tx, sql`SELECT pg_advisory_xact_lock(${pairLockKey(sql`${a}::bigint`, sql`${b}::bigint`)}) IS NULL`);
}

/**
 * Creates the match, unless the pair is blocked either way or already matched (the pair's unique
 * index turns a concurrent duplicate into "no row", never a second match). Run after the pair's
 * lock is held: this statement's snapshot then sees any block that committed before.
 */
async function insertMatchUnlessBlocked(
  tx: Tx,
  userId: number,
  partnerId: number,
  now: Date,
  expiresAt: Date,
): Promise<number | null> {
  const [created] = await rows<{ id: number }>(
    tx,
    sql`INSERT INTO matches (user_a, user_b, created_at, expires_at)
        SELECT ${userId}, ${partnerId}, ${at(now)}, ${at(expiresAt)}
        WHERE NOT EXISTS (
          SELECT 1 FROM blocks
          WHERE (blocker_id = ${userId} AND blocked_id = ${partnerId})
             OR (blocker_id = ${partnerId} AND blocked_id = ${userId})
        )
        ON CONFLICT DO NOTHING
        RETURNING id`,
  );
  return created?.id ?? null;
}

const noMatches = () =>
  new AppError(404, "no_matches_found", "No matches found. Try again later or widen your filters.");

// A pair that another request matched a moment ago makes us pick again, a few times at most.
const PICK_ATTEMPTS = 3;

export async function findMatch(
  db: Db,
  rules: MatchRules,
  userId: number,
  input: FindMatchInput,
  now = new Date(),
): Promise<{ reply: FoundMatch; partnerId: number }> {
  const ageMin = input.preferred_age_min ?? 18;
  const ageMax = input.preferred_age_max ?? 100;
  if (ageMin > ageMax) throw invalidField("preferred_age_min", "must not be greater than preferred_age_max");

  // Five round trips: begin, caller + quota, pick + pair lock, insert, commit.
  return db.transaction(async (tx) => {
    const caller = await readCallerTakingQuota(tx, userId, rules.dailyMatchLimit, now);
    if (!caller || caller.age === null) throw userNotFound();
    if ((toDateOrNull(caller.banUntil)?.getTime() ?? 0) > now.getTime()) throw banned();
    if (caller.taken === null) throw dailyLimitReached(rules.dailyMatchLimit);
    const premium = isPremium(toDateOrNull(caller.premiumUntil), now);

    // Gender and city filters are a premium feature; everyone may narrow the age range.
    const filters: PickFilters = {
      ageMin,
      ageMax,
      gender: premium ? (input.preferred_gender ?? null) : null,
      city: premium ? (input.preferred_city ?? null) : null,
    };
    const expiresAt = new Date(now.getTime() + rules.matchLifetimeHours * 3600_000);
    for (let attempt = 0; attempt < PICK_ATTEMPTS; attempt++) {
      const partner = await pickAndLockCandidate(tx, userId, filters, now);
      if (!partner) break;
      const matchId = await insertMatchUnlessBlocked(tx, userId, partner.id, now, expiresAt);
      if (matchId === null) continue;
      const state = unlockState(0, rules.unlockThresholds, premium);
      const reply: FoundMatch = {
        success: true,
        match_id: matchId,
        expires_at: expiresAt.toISOString(),
        is_premium: premium,
        ...state,
        partner: partnerView(partner, state.unlock_level),
      };
      return { reply, partnerId: partner.id };
    }
    throw noMatches();
  });
}

interface MatchListRow extends ProfileRow {
  matchId: number;
  messageCount: number;
  expiresAt: RawTimestamp;
  secretChatExpiresAt: RawTimestamp | null;
  lastMessageAt: RawTimestamp | null;
  unreadCount: number;
}

/** Whether the caller is premium now; false for a user without a row. */
async function callerIsPremium(db: Db, userId: number, now: Date): Promise<boolean> {
  const [row] = await db.select({ premiumUntil: users.premiumUntil }).from(users).where(eq(users.id, userId));
  return isPremium(row?.premiumUntil ?? null, now);
}

/** The caller's active, unexpired matches, most recent activity first. */
export async function listMatches(
  db: Db,
  thresholds: Thresholds,
  userId: number,
  now = new Date(),
): Promise<{ isPremium: boolean; matches: MatchListItem[] }> {
  const premium = await callerIsPremium(db, userId, now);
  const list = await rows<MatchListRow>(
    db,
    sql`SELECT m.id AS "matchId", m.message_count AS "messageCount", m.expires_at AS "expiresAt",
          m.secret_chat_expires_at AS "secretChatExpiresAt", m.last_message_at AS "lastMessageAt",
          ${partnerColumns("p")},
          (SELECT count(*) FROM messages msg
            WHERE msg.match_id = m.id AND msg.sender_id <> ${userId}
              AND msg.id > coalesce(rm.last_read_id, 0)
              AND (msg.self_destruct_at IS NULL OR msg.self_destruct_at > ${at(now)})) AS "unreadCount"
        FROM matches m
        JOIN users p ON p.id = CASE WHEN m.user_a = ${userId} THEN m.user_b ELSE m.user_a END
        LEFT JOIN read_markers rm ON rm.match_id = m.id AND rm.user_id = ${userId}
        WHERE (m.user_a = ${userId} OR m.user_b = ${userId}) AND m.is_active AND m.expires_at > ${at(now)}
        ORDER BY coalesce(m.last_message_at, m.created_at) DESC, m.id DESC`,
  );
  return {
    isPremium: premium,
    matches: list.map((row) => {
      const state = unlockState(row.messageCount, thresholds, premium);
      const secretChatEnds = toDateOrNull(row.secretChatExpiresAt);
      return {
        match_id: row.matchId,
        partner: partnerView(row, state.unlock_level),
        ...state,
        expires_at: toDate(row.expiresAt).toISOString(),
        secret_chat_active: secretChatEnds !== null && secretChatEnds > now,
        last_message_at: toDateOrNull(row.lastMessageAt)?.toISOString() ?? null,
        unread_count: row.unreadCount,
      };
    }),
  };
}

export async function getStats(db: Db, dailyLimit: number, userId: number, now = new Date()): Promise<Stats> {
  const [row] = await rows<{
    premiumUntil: RawTimestamp | null;
    total: number;
    active: number;
    today: number | null;
    sent: number;
  }>(
    db,
    sql`SELECT u.premium_until AS "premiumUntil",
          (SELECT count(*) FROM matches m WHERE m.user_a = u.id OR m.user_b = u.id) AS total,
          (SELECT count(*) FROM matches m
            WHERE (m.user_a = u.id OR m.user_b = u.id) AND m.is_active AND m.expires_at > ${at(now)}) AS active,
          (SELECT d.count FROM daily_match_counts d WHERE d.user_id = u.id AND d.day = ${utcDay(now)}) AS today,
          (SELECT count(*) FROM messages msg WHERE msg.sender_id = u.id) AS sent
        FROM users u WHERE u.id = ${userId}`,
  );
  if (!row) throw userNotFound();
  const premium = isPremium(toDateOrNull(row.premiumUntil), now);
  return {
    success: true,
    user_id: userId,
    is_premium: premium,
    total_matches: row.total,
    active_matches: row.active,
    today_matches: row.today ?? 0,
    daily_limit: premium ? null : dailyLimit,
    messages_sent: row.sent,
  };
}

/** A match as one of its two users sees it, with the partner's profile row. */
export interface ParticipantMatch {
  id: number;
  messageCount: number;
  expiresAt: Date;
  isActive: boolean;
  endReason: string | null;
  secretChatExpiresAt: Date | null;
  partner: ProfileRow;
  viewerIsPremium: boolean;
  viewerIsBanned: boolean;
}

export const matchNotFound = () => new AppError(404, "match_not_found", "Match not found");

/** Why nothing more can happen in a match (410), or null while it is active and unexpired. */
export function closedMatchError(
  match: { isActive: boolean; endReason: string | null; expiresAt: Date },
  now: Date,
): AppError | null {
  const expired = new AppError(410, "match_expired", "This match has expired");
  if (!match.isActive)
    return match.endReason === "expired" ? expired : new AppError(410, "match_ended", "This match has ended");
  return match.expiresAt <= now ? expired : null;
}

/**
 * Locks a match row for the rest of the transaction, for one of its participants only (anyone
 * else gets the 404 of a missing match). Actions on one match queue here, so they see each
 * other's effects: two accepts, an extend racing an unmatch.
 */
export async function lockParticipantMatch(tx: Tx, matchId: number, userId: number) {
  const [match] = await tx
    .select()
    .from(matches)
    .where(and(eq(matches.id, matchId), or(eq(matches.userA, userId), eq(matches.userB, userId))))
    .for("update");
  if (!match) throw matchNotFound();
  return { ...match, partnerId: match.userA === userId ? match.userB : match.userA };
}

/**
 * Loads the match for one of its participants. Anyone else gets the same 404 as for a match that
 * does not exist, so ids reveal nothing.
 */
export async function loadParticipantMatch(
  db: Db,
  matchId: number,
  userId: number,
  now: Date,
): Promise<ParticipantMatch> {
  const [row] = await rows<
    ProfileRow & {
      matchId: number;
      messageCount: number;
      expiresAt: RawTimestamp;
      isActive: boolean;
      endReason: string | null;
      secretChatExpiresAt: RawTimestamp | null;
      viewerPremiumUntil: RawTimestamp | null;
      viewerBanUntil: RawTimestamp | null;
    }
  >(
    db,
    sql`SELECT m.id AS "matchId", m.message_count AS "messageCount", m.expires_at AS "expiresAt",
          m.is_active AS "isActive", m.end_reason AS "endReason",
          m.secret_chat_expires_at AS "secretChatExpiresAt",
          ${partnerColumns("p")},
          v.premium_until AS "viewerPremiumUntil", v.ban_until AS "viewerBanUntil"
        FROM matches m
        JOIN users v ON v.id = ${userId}
        JOIN users p ON p.id = CASE WHEN m.user_a = ${userId} THEN m.user_b ELSE m.user_a END
        WHERE m.id = ${matchId} AND (m.user_a = ${userId} OR m.user_b = ${userId})`,
  );
  if (!row) throw matchNotFound();
  return {
    id: row.matchId,
    messageCount: row.messageCount,
    expiresAt: toDate(row.expiresAt),
    isActive: row.isActive,
    endReason: row.endReason,
    secretChatExpiresAt: toDateOrNull(row.secretChatExpiresAt),
    partner: {
      id: row.id,
      gender: row.gender,
      age: row.age,
      city: row.city,
      bio: row.bio,
      interests: row.interests,
      photoUrl: row.photoUrl,
    },
    viewerIsPremium: isPremium(toDateOrNull(row.viewerPremiumUntil), now),
    viewerIsBanned: (toDateOrNull(row.viewerBanUntil)?.getTime() ?? 0) > now.getTime(),
  };
}
