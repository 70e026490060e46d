// The business rules, each under its own name: a check on rows already loaded and, where a query must
// apply it, the same rule as SQL over the schema's columns (pass the table or its alias), side by side.
import { type AnyColumn, type SQL, sql } from "drizzle-orm";
import { at, type Instant } from "../db/client";
import { AppError } from "../kernel/errors";

type Columns<K extends string> = { readonly [key in K]: AnyColumn };

// ---- user banned ----------------------------------------------------------------------------------

/**
 * A user is banned while `ban_until` lies in the future. A banned user cannot find matches (find_match,
 * drizzle/0012_matching_order.sql, checks the same column), send, open a socket, and is never picked.
 */
export const isBanned = (banUntil: Date | null, now: Date): boolean => banUntil !== null && banUntil > now;

export const notBannedSql = (user: Columns<"banUntil">, now: Instant): SQL =>
  sql`(${user.banUntil} IS NULL OR ${user.banUntil} <= ${at(now)})`;

export const banned = () => new AppError(403, "banned", "Your account is suspended");

// ---- premium --------------------------------------------------------------------------------------

/** Premium while `premium_until` lies in the future: no daily limit, filters, the whole profile at once, free extends. */
export const isPremium = (premiumUntil: Date | null, now: Date): boolean => premiumUntil !== null && premiumUntil > now;

export const premiumSql = (user: Columns<"premiumUntil">, now: Instant): SQL =>
  sql`coalesce(${user.premiumUntil} > ${at(now)}, false)`;

/**
 * Premium bought for `days` (a Stars subscription's period, its renewals too) runs from the later of
 * now and the current end: paying early loses no day, and a lapsed Premium starts again from now.
 */
export const premiumExtendedSql = (user: Columns<"premiumUntil">, now: Date, days: number): SQL =>
  sql`GREATEST(coalesce(${user.premiumUntil}, ${at(now)}), ${at(now)}) + make_interval(days => ${days}::integer)`;

/**
 * A refunded period of `days` is taken off the end again; what remains ends no later than it was
 * and no earlier than now (a refund ends Premium, it does not reach into the past). Unset stays unset.
 */
export const premiumRefundedSql = (user: Columns<"premiumUntil">, now: Date, days: number): SQL =>
  sql`CASE WHEN ${user.premiumUntil} IS NOT NULL THEN LEAST(${user.premiumUntil}, GREATEST(${user.premiumUntil} - make_interval(days => ${days}::integer), ${at(now)})) END`;

// ---- daily quota ----------------------------------------------------------------------------------

/** The UTC calendar day of `now`, as the daily limit counts it. */
export const utcDay = (now: Date): string => now.toISOString().slice(0, 10);

/**
 * Free users may create `limit` matches per UTC day; premium users have no limit (null). The quota is
 * taken atomically inside find_match (one daily_match_counts row per user and day, bumped only while
 * below the limit), and a request that finds nobody gives its match back.
 */
export const dailyLimitFor = (premium: boolean, limit: number): number | null => (premium ? null : limit);

/** What extending a match by 24 hours costs: nothing for premium users, `cost` coins for the rest. */
export const extensionPrice = (premium: boolean, cost: number): number => (premium ? 0 : cost);

// ---- activity tiers ------------------------------------------------------------------------------

/** One process writes one user's activity at most this often (src/modules/activity/recorder.ts). */
export const ACTIVITY_WRITE_MS = 60_000;

/**
 * "Online now" is activity within this window: a user with an open socket or making requests has their
 * `last_active_at` refreshed at least every ACTIVITY_WRITE_MS, plus one flush.
 */
export const ONLINE_WINDOW_MS = 3 * 60_000;

/**
 * The pick's tiers, as the `last_active_at` each one starts from: online now, active today (the last
 * 24 hours), active within MATCH_ACTIVE_DAYS. Nobody inactive for longer is a candidate.
 */
export const activityTiers = (now: Date, activeDays: number) => ({
  onlineSince: new Date(now.getTime() - ONLINE_WINDOW_MS),
  todaySince: new Date(now.getTime() - 24 * 3600_000),
  activeSince: new Date(now.getTime() - activeDays * 24 * 3600_000),
});

// ---- match open -----------------------------------------------------------------------------------

/** A match is open while it is active (nobody ended it) and not past `expires_at`: only then can anything happen in it. */
export const isMatchOpen = (match: { isActive: boolean; expiresAt: Date }, now: Date): boolean =>
  match.isActive && match.expiresAt > now;

export const matchOpenSql = (match: Columns<"isActive" | "expiresAt">, now: Instant): SQL =>
  sql`(${match.isActive} AND ${match.expiresAt} > ${at(now)})`;

export const matchNotFound = () => new AppError(404, "match_not_found", "Match not found");

/** Why nothing more can happen in a match (410), or null while it is open. */
export function closedMatchError(
  match: { isActive: boolean; endReason: string | null; expiresAt: Date },
  now: Date,
): AppError | null {
  if (isMatchOpen(match, now)) return null;
  if (match.isActive || match.endReason === "expired")
    return new AppError(410, "match_expired", "This match has expired");
  return new AppError(410, "match_ended", "This match has ended");
}

// ---- secret chat active ---------------------------------------------------------------------------

/** A secret chat runs until `secret_chat_expires_at`; messages sent meanwhile are secret and self-destruct then. */
export const isSecretChatActive = (until: Date | null, now: Date): boolean => until !== null && until > now;

export const secretChatActiveSql = (match: Columns<"secretChatExpiresAt">, now: Instant): SQL =>
  sql`coalesce(${match.secretChatExpiresAt} > ${at(now)}, false)`;

// ---- message visible ------------------------------------------------------------------------------

/** A message is visible until its `self_destruct_at`: past it, it is never returned, even before the sweeper deletes it. */
export const messageVisibleSql = (message: Columns<"selfDestructAt">, now: Instant): SQL =>
  sql`(${message.selfDestructAt} IS NULL OR ${message.selfDestructAt} > ${at(now)})`;

// ---- unlock progress ------------------------------------------------------------------------------

/** A match's message counters: all of them, and each side's (user_a's, user_b's). */
export interface MatchCounts {
  messageCount: number;
  messagesA: number;
  messagesB: number;
}

/**
 * Unlocking needs a conversation, not a monologue: levels follow unlock_progress = min(message_count,
 * 2 × the messages of the side that wrote fewer). 150 messages from one side unlock nothing.
 */
export const unlockProgress = (counts: MatchCounts): number =>
  Math.min(counts.messageCount, 2 * Math.min(counts.messagesA, counts.messagesB));

export const unlockProgressSql = (match: Columns<"messageCount" | "messagesA" | "messagesB">): SQL =>
  sql`LEAST(${match.messageCount}, 2 * LEAST(${match.messagesA}, ${match.messagesB}))`;

// ---- contact details unlock last ------------------------------------------------------------------

/**
 * Contact details (contact-details.ts says what they are) would end the mystery and take people where
 * nobody can block or report: a message may carry them once the match itself has reached
 * `unlockLevel` (CONTACT_UNLOCK_LEVEL). The match's level, from its counters: a premium viewer, who
 * sees level 4 at once, does not change it.
 */
export const contactDetailsAllowed = (matchLevel: number, unlockLevel: number): boolean => matchLevel >= unlockLevel;

export const contactDetailsLocked = (unlockLevel: number) =>
  new AppError(422, "contact_details_locked", `Contact details unlock at level ${unlockLevel} — keep chatting!`);

/** A profile is read before any conversation: its texts never carry contact details. `fields` name the ones that did. */
export const contactDetailsInProfile = (fields: readonly string[]) =>
  new AppError(
    422,
    "contact_details_in_profile",
    `A profile cannot hold contact details: ${fields.join(", ")}`,
    {},
    fields.map((field) => ({
      field,
      message: "must not hold a phone number, @handle, e-mail address or link",
    })),
  );

// ---- an id the caller knows --------------------------------------------------------------------------

/**
 * What a reply may depend on: a user id is known to a caller when it was revealed to them at level 4
 * in one of their matches (a premium viewer sees level 4 at once), or when they gave it themselves in
 * a by-id block. This is the match half, over a match row: whether its partner's id is revealed.
 */
export const partnerIdRevealedSql = (
  match: Columns<"messageCount" | "messagesA" | "messagesB">,
  viewerIsPremium: boolean,
  lastThreshold: number,
): SQL => sql`(${viewerIsPremium}::boolean OR ${unlockProgressSql(match)} >= ${lastThreshold}::integer)`;

// ---- users ----------------------------------------------------------------------------------------

export const userNotFound = () => new AppError(404, "user_not_found", "User not found. Please register first.");
