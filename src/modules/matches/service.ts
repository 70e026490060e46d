// Matching: the atomic daily quota, the random pick, the caller's match list and stats.
import { and, eq, or, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import {
  at,
  type Db,
  errorWithCode,
  iso,
  type RawTimestamp,
  rows,
  statement,
  toDate,
  toDateOrNull,
} from "../../db/client";
import { matches, messages } from "../../db/schema";
import { AppError, invalidField } from "../../kernel/errors";
import { outboxInsertSql } from "../notifications/outbox";
import { photoLinks } from "../photos/token";
import { type ProfileRow, partnerView, type Thresholds, unlockState } from "../profiles/unlock";
import {
  activityTiers,
  banned,
  dailyLimitFor,
  isBanned,
  isPremium,
  type MatchCounts,
  matchNotFound,
  matchOpenSql,
  messageVisibleSql,
  userNotFound,
  utcDay,
} from "../rules";
import type { FindMatchInput, FoundMatch, MatchListItem, Stats } from "./model";

export interface MatchRules {
  readonly dailyMatchLimit: number;
  readonly matchActiveDays: number;
  readonly matchLifetimeHours: number;
  readonly unlockThresholds: Thresholds;
  /** The photo links' keys are derived from it. */
  readonly jwtSecret: string;
}

export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

// The uploaded photo of the user whose id is in `idColumn`, aliased to ProfileRow's names (photos.user_id is its key).
const photoColumns = (idColumn: string) =>
  `(SELECT ph.id FROM photos ph WHERE ph.user_id = ${idColumn}) AS "photoId", ` +
  `(SELECT ph.placeholder FROM photos ph WHERE ph.user_id = ${idColumn}) AS "photoPlaceholder"`;

// Rows of the partner's profile, aliased to ProfileRow's names.
const partnerColumns = (alias: string) =>
  sql.raw(
    `${alias}.id, ${alias}.gender, ${alias}.age, ${alias}.city, ${alias}.bio, ${alias}.interests, ${alias}.photo_url AS "photoUrl", ` +
      photoColumns(`${alias}.id`),
  );

// The aliases the raw queries below give their tables, so the rules' SQL can name their columns.
const m = alias(matches, "m");
const msg = alias(messages, "msg");

// A match's message counters (rules.ts, unlock progress), aliased to MatchCounts' names.
const countColumns = sql.raw(
  `m.message_count AS "messageCount", m.messages_a AS "messagesA", m.messages_b AS "messagesB"`,
);

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, "\\$&")}%`;

/**
 * Rows the pick looks at on each side of its random starting point in one activity tier, at most. It
 * bounds the cost of a filter that (almost) nobody passes, e.g. a premium city filter naming a town
 * with no users: such a tier is given up after reading 2 × PICK_WINDOW index entries, never the table.
 */
const PICK_WINDOW = 5_000;

/** Eligible candidates of a tier compared on shared interests (the first ones of the random walk). */
const PICK_SAMPLE = 16;

// A pair that another request matched a moment ago makes us pick again, a few times at most.
const PICK_ATTEMPTS = 3;

/**
 * Serialises find-match and block for one pair of users (a transaction-scoped advisory lock on
 * the unordered pair; find_match takes the same key in SQL): a block either commits before the
 * pick re-checks it, or ends the match the pick created.
 */
export async function lockPair(tx: Tx, a: number, b: number): Promise<void> {
  const pair = `${Math.min(a, b)}:${Math.max(a, b)}`;
  await rows(tx, sql`SELECT pg_advisory_xact_lock(hashtextextended(${pair}, 0))`);
}

export const noMatchesFound = () =>
  new AppError(404, "no_matches_found", "No matches found. Try again later or widen your filters.");

/** The refusal a find_match error stands for (its MM SQLSTATE and message), or null for any other error. */
function findMatchRefusal(error: unknown, dailyLimit: number): AppError | null {
  const refusal = errorWithCode(error, (code) => code.startsWith("MM"));
  if (refusal === null) return null;
  if (refusal.code === "MM403") return banned();
  if (refusal.code === "MM429") {
    return new AppError(
      429,
      "daily_limit_reached",
      `You've reached your daily limit of ${dailyLimit} matches. Upgrade to Premium!`,
    );
  }
  if (refusal.message === "user_not_found") return userNotFound();
  return noMatchesFound();
}

type FoundRow = ProfileRow & { matchId: number; isPremium: boolean; fromPool: boolean };

/** A new match: the caller's reply, the partner, and whether the partner was waiting in the pool. */
export interface Found {
  reply: FoundMatch;
  partnerId: number;
  fromPool: boolean;
}

/** How a searcher waits in the pool when nobody fits at once: their request's id, and until when. */
export interface PoolEntry {
  ticket: string;
  until: Date;
}

/**
 * One eligible stranger, matched with the caller, in one round trip: the database function find_match
 * (drizzle/0012_matching_order.sql) checks the caller, takes one match from today's quota (premium users
 * have no limit), picks a candidate (has a profile, is not the caller, not banned, both sides'
 * preferences, the request's filters, not blocked either way, never matched with the caller before)
 * from the pool of searchers first, then by activity tier and shared interests, takes the pair's
 * lock and inserts the match; the same statement writes the partner's "new match" notification
 * when they did not ask (a partner from the pool did). Any refusal rolls the whole statement back. With `wait`, nobody found
 * puts the caller in the pool and gives null (their quota untouched).
 */
export async function findMatch(
  db: Db,
  rules: MatchRules,
  userId: number,
  input: FindMatchInput,
  now = new Date(),
  wait: PoolEntry | null = null,
): Promise<Found | null> {
  const ageMin = input.preferred_age_min ?? 18;
  const ageMax = input.preferred_age_max ?? 100;
  if (ageMin > ageMax) throw invalidField("preferred_age_min", "must not be greater than preferred_age_max");
  const expiresAt = new Date(now.getTime() + rules.matchLifetimeHours * 3600_000);
  const city = input.preferred_city ?? null;
  const tiers = activityTiers(now, rules.matchActiveDays);

  let found: FoundRow | undefined;
  try {
    [found] = await rows<FoundRow>(
      db,
      sql`WITH found AS (
            SELECT * FROM find_match(${userId}::bigint, ${utcDay(now)}::date, ${at(now)}, ${rules.dailyMatchLimit}::integer,
                          ${ageMin}::integer, ${ageMax}::integer, ${input.preferred_gender ?? null}::text,
                          ${city === null ? null : likePattern(city)}::text,
                          ${at(tiers.onlineSince)}, ${at(tiers.todaySince)}, ${at(tiers.activeSince)},
                          ${Math.random()}::float8, ${PICK_WINDOW}::integer, ${PICK_SAMPLE}::integer,
                          ${at(expiresAt)}, ${PICK_ATTEMPTS}::integer, ${wait?.ticket ?? null}::text,
                          ${wait?.until.toISOString() ?? null}::timestamptz)
          ), notified AS (
            ${outboxInsertSql(sql`SELECT f.id, f.match_id, 'new_match'::text, 0::smallint FROM found f WHERE NOT f.from_pool`, now)}
          )
          SELECT match_id AS "matchId", is_premium AS "isPremium", from_pool AS "fromPool", id, gender, age, city,
                 bio, interests, photo_url AS "photoUrl", ${sql.raw(photoColumns("found.id"))}
          FROM found`,
    );
  } catch (error) {
    throw findMatchRefusal(error, rules.dailyMatchLimit) ?? error;
  }
  if (found === undefined) return null;
  const { matchId, isPremium: premium, fromPool, ...partner } = found;
  const state = unlockState({ messageCount: 0, messagesA: 0, messagesB: 0 }, rules.unlockThresholds, premium);
  const reply: FoundMatch = {
    success: true,
    match_id: matchId,
    expires_at: expiresAt.toISOString(),
    is_premium: premium,
    ...state,
    partner: partnerView(partner, state.unlock_level, photoLinks(rules.jwtSecret).linkFor(userId, matchId, now)),
  };
  return { reply, partnerId: partner.id, fromPool };
}

interface MatchListRow extends ProfileRow, MatchCounts {
  matchId: number;
  expiresAt: RawTimestamp;
  secretChatExpiresAt: RawTimestamp | null;
  lastMessageAt: RawTimestamp | null;
  unreadCount: number;
  lastSenderId: number | null;
  lastText: string | null;
  lastCreatedAt: RawTimestamp | null;
}

/** Whether the caller is premium now; false for a user without a row. */
const premiumUntilStatement = statement<{ userId: number }, { premiumUntil: RawTimestamp | null }>(
  (p) => sql`SELECT premium_until AS "premiumUntil" FROM users WHERE id = ${p.userId}`,
);

async function callerIsPremium(db: Db, userId: number, now: Date): Promise<boolean> {
  const [row] = await premiumUntilStatement(db, { userId });
  return isPremium(toDateOrNull(row?.premiumUntil ?? null), now);
}

const matchListStatement = statement<{ userId: number; now: string }, MatchListRow>(
  (p) =>
    sql`SELECT m.id AS "matchId", ${countColumns}, m.expires_at AS "expiresAt",
          m.secret_chat_expires_at AS "secretChatExpiresAt", m.last_message_at AS "lastMessageAt",
          ${partnerColumns("p")},
          (SELECT count(*) FROM messages msg
            WHERE msg.match_id = m.id AND msg.sender_id <> ${p.userId}
              AND msg.id > coalesce(rm.last_read_id, 0) AND ${messageVisibleSql(msg, p.now)}) AS "unreadCount",
          last.sender_id AS "lastSenderId", last.text AS "lastText", last.created_at AS "lastCreatedAt"
        FROM matches m
        JOIN users p ON p.id = CASE WHEN m.user_a = ${p.userId} THEN m.user_b ELSE m.user_a END
        LEFT JOIN read_markers rm ON rm.match_id = m.id AND rm.user_id = ${p.userId}
        LEFT JOIN LATERAL (SELECT msg.sender_id, msg.text, msg.created_at FROM messages msg
            WHERE msg.match_id = m.id AND ${messageVisibleSql(msg, p.now)}
            ORDER BY msg.id DESC LIMIT 1) last ON true
        WHERE (m.user_a = ${p.userId} OR m.user_b = ${p.userId}) AND ${matchOpenSql(m, p.now)}
        ORDER BY coalesce(m.last_message_at, m.created_at) DESC, m.id DESC`,
);

/** The caller's active, unexpired matches, most recent activity first. */
export async function listMatches(
  db: Db,
  { unlockThresholds: thresholds, jwtSecret }: Pick<MatchRules, "unlockThresholds" | "jwtSecret">,
  userId: number,
  now = new Date(),
): Promise<{ isPremium: boolean; matches: MatchListItem[] }> {
  const premium = await callerIsPremium(db, userId, now);
  const list = await matchListStatement(db, { userId, now: iso(now) });
  const links = photoLinks(jwtSecret);
  return {
    isPremium: premium,
    matches: list.map((row) => {
      const state = unlockState(row, thresholds, premium);
      const secretChatEnds = toDateOrNull(row.secretChatExpiresAt);
      return {
        match_id: row.matchId,
        partner: partnerView(row, state.unlock_level, links.linkFor(userId, row.matchId, now)),
        ...state,
        expires_at: toDate(row.expiresAt).toISOString(),
        secret_chat_active: secretChatEnds !== null && secretChatEnds > now,
        last_message_at: toDateOrNull(row.lastMessageAt)?.toISOString() ?? null,
        unread_count: row.unreadCount,
        last_message:
          row.lastCreatedAt === null
            ? null
            : {
                is_me: row.lastSenderId === userId,
                message: row.lastText!,
                timestamp: toDate(row.lastCreatedAt).toISOString(),
              },
      };
    }),
  };
}

const statsStatement = statement<
  { userId: number; now: string; day: string },
  { premiumUntil: RawTimestamp | null; total: number; active: number; today: number | null; sent: number }
>(
  (p) =>
    sql`SELECT u.premium_until AS "premiumUntil",
          (SELECT count(*) FROM matches m WHERE m.user_a = u.id OR m.user_b = u.id) AS total,
          (SELECT count(*) FROM matches m
            WHERE (m.user_a = u.id OR m.user_b = u.id) AND ${matchOpenSql(m, p.now)}) AS active,
          (SELECT d.count FROM daily_match_counts d WHERE d.user_id = u.id AND d.day = ${p.day}) AS today,
          (SELECT count(*) FROM messages msg WHERE msg.sender_id = u.id) AS sent
        FROM users u WHERE u.id = ${p.userId}`,
);

export async function getStats(db: Db, dailyLimit: number, userId: number, now = new Date()): Promise<Stats> {
  const [row] = await statsStatement(db, { userId, now: iso(now), day: utcDay(now) });
  if (!row) throw userNotFound();
  const premium = isPremium(toDateOrNull(row.premiumUntil), now);
  return {
    success: true,
    user_id: userId,
    is_premium: premium,
    total_matches: row.total,
    active_matches: row.active,
    today_matches: row.today ?? 0,
    daily_limit: dailyLimitFor(premium, dailyLimit),
    messages_sent: row.sent,
  };
}

/** A match as one of its two users sees it, with the partner's profile row. */
export interface ParticipantMatch extends MatchCounts {
  id: number;
  expiresAt: Date;
  isActive: boolean;
  endReason: string | null;
  secretChatExpiresAt: Date | null;
  partner: ProfileRow;
  /** The last message id the partner has read, or null before their first read marker. */
  partnerReadUpTo: number | null;
  viewerIsPremium: boolean;
  viewerIsBanned: boolean;
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

const participantMatchStatement = statement<
  { matchId: number; userId: number },
  ProfileRow &
    MatchCounts & {
      matchId: number;
      expiresAt: RawTimestamp;
      isActive: boolean;
      endReason: string | null;
      secretChatExpiresAt: RawTimestamp | null;
      viewerPremiumUntil: RawTimestamp | null;
      viewerBanUntil: RawTimestamp | null;
      partnerReadUpTo: number | null;
    }
>(
  (p) =>
    sql`SELECT m.id AS "matchId", ${countColumns}, m.expires_at AS "expiresAt",
          m.is_active AS "isActive", m.end_reason AS "endReason",
          m.secret_chat_expires_at AS "secretChatExpiresAt",
          ${partnerColumns("p")},
          v.premium_until AS "viewerPremiumUntil", v.ban_until AS "viewerBanUntil",
          (SELECT r.last_read_id FROM read_markers r WHERE r.match_id = m.id AND r.user_id = p.id)
            AS "partnerReadUpTo"
        FROM matches m
        JOIN users v ON v.id = ${p.userId}
        JOIN users p ON p.id = CASE WHEN m.user_a = ${p.userId} THEN m.user_b ELSE m.user_a END
        WHERE m.id = ${p.matchId} AND (m.user_a = ${p.userId} OR m.user_b = ${p.userId})`,
);

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
  const [row] = await participantMatchStatement(db, { matchId, userId });
  if (!row) throw matchNotFound();
  return {
    id: row.matchId,
    messageCount: row.messageCount,
    messagesA: row.messagesA,
    messagesB: row.messagesB,
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
      photoId: row.photoId,
      photoPlaceholder: row.photoPlaceholder,
    },
    partnerReadUpTo: row.partnerReadUpTo !== null && row.partnerReadUpTo > 0 ? row.partnerReadUpTo : null,
    viewerIsPremium: isPremium(toDateOrNull(row.viewerPremiumUntil), now),
    viewerIsBanned: isBanned(toDateOrNull(row.viewerBanUntil), now),
  };
}
