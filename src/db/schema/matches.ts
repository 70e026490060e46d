// Matches between two users and the per-day counter behind the free daily limit.
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  date,
  index,
  integer,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { users } from "./users";

export const END_REASONS = ["unmatched", "blocked", "expired"] as const;
export type EndReason = (typeof END_REASONS)[number];

export const matches = pgTable(
  "matches",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    /** The user who asked for the match. */
    userA: bigint("user_a", { mode: "number" })
      .notNull()
      .references(() => users.id),
    userB: bigint("user_b", { mode: "number" })
      .notNull()
      .references(() => users.id),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    isActive: boolean("is_active").notNull().default(true),
    messageCount: integer("message_count").notNull().default(0),
    /** Messages written by user_a and by user_b: unlocking needs both sides (unlock_progress). */
    messagesA: integer("messages_a").notNull().default(0),
    messagesB: integer("messages_b").notNull().default(0),
    lastMessageAt: timestamp("last_message_at", { withTimezone: true, mode: "date" }),
    secretChatExpiresAt: timestamp("secret_chat_expires_at", { withTimezone: true, mode: "date" }),
    endedAt: timestamp("ended_at", { withTimezone: true, mode: "date" }),
    endedBy: bigint("ended_by", { mode: "number" }),
    endReason: text("end_reason").$type<EndReason>(),
    endNote: text("end_note"),
  },
  (t) => [
    check("matches_distinct_users", sql`${t.userA} <> ${t.userB}`),
    check("matches_message_count_non_negative", sql`${t.messageCount} >= 0`),
    check("matches_end_reason_valid", sql`${t.endReason} IN ('unmatched', 'blocked', 'expired')`),
    check("matches_end_note_length", sql`char_length(${t.endNote}) <= 500`),
    /** A pair is matched at most once, whichever side asked. */
    uniqueIndex("matches_pair_unique").on(sql`least(${t.userA}, ${t.userB})`, sql`greatest(${t.userA}, ${t.userB})`),
    index("matches_user_a_idx").on(t.userA),
    index("matches_user_b_idx").on(t.userB),
    // The sweeper's two scans: matches to expire and secret chats to end.
    index("matches_active_expiry_idx").on(t.expiresAt).where(sql`${t.isActive}`),
    index("matches_secret_chat_idx").on(t.secretChatExpiresAt).where(sql`${t.secretChatExpiresAt} IS NOT NULL`),
  ],
);

export const dailyMatchCounts = pgTable(
  "daily_match_counts",
  {
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id),
    /** UTC day. */
    day: date("day", { mode: "string" }).notNull(),
    count: integer("count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.day] }), check("daily_match_counts_non_negative", sql`${t.count} >= 0`)],
);

/**
 * People searching right now (find-match with wait_seconds): one row per waiting user, with the
 * filters of their request. A later searcher who fits pairs with them and writes `match_id`; the
 * waiting request, woken through the Bus, takes its row out and answers with that match.
 */
export const matchPool = pgTable(
  "match_pool",
  {
    userId: bigint("user_id", { mode: "number" })
      .primaryKey()
      .references(() => users.id),
    /** The waiting request's own id: a newer request of the same user replaces the row. */
    ticket: text("ticket").notNull(),
    ageMin: smallint("age_min").notNull(),
    ageMax: smallint("age_max").notNull(),
    /** The premium filters of the request (null for a free user's). */
    gender: text("gender"),
    cityPattern: text("city_pattern"),
    joinedAt: timestamp("joined_at", { withTimezone: true, mode: "date" }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    /** The match a later searcher made with this waiter, until the waiter takes the row out. */
    matchId: bigint("match_id", { mode: "number" }),
  },
  (t) => [index("match_pool_waiting_idx").on(t.joinedAt).where(sql`${t.matchId} IS NULL`)],
);
