// Blocks between users and reports against them.
import { sql } from "drizzle-orm";
import { bigint, boolean, check, index, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { matches } from "./matches";
import { users } from "./users";

export const blocks = pgTable(
  "blocks",
  {
    blockerId: bigint("blocker_id", { mode: "number" })
      .notNull()
      .references(() => users.id),
    /** No foreign key: a block by id may name someone who has not used the service yet (it applies once they do). */
    blockedId: bigint("blocked_id", { mode: "number" }).notNull(),
    /** Set when the block was made by match, so listings can name the match instead of a hidden id. */
    viaMatchId: bigint("via_match_id", { mode: "number" }).references(() => matches.id, { onDelete: "set null" }),
    reason: text("reason"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
    /** The block's own sequence: the blocked list is ordered by it, never by a (hidden) user id. */
    seq: bigint("seq", { mode: "number" }).notNull().generatedAlwaysAsIdentity(),
  },
  (t) => [
    primaryKey({ columns: [t.blockerId, t.blockedId] }),
    index("blocks_blocker_seq_idx").on(t.blockerId, t.seq),
    check("blocks_distinct_users", sql`${t.blockerId} <> ${t.blockedId}`),
    check("blocks_reason_length", sql`char_length(${t.reason}) <= 500`),
    index("blocks_blocked_idx").on(t.blockedId, t.blockerId),
  ],
);

export const REPORT_CONTENT_TYPES = ["message", "profile", "photo", "match"] as const;
export const REPORT_STATUSES = ["pending", "actioned", "dismissed"] as const;

export const reports = pgTable(
  "reports",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    reporterId: bigint("reporter_id", { mode: "number" })
      .notNull()
      .references(() => users.id),
    reportedUserId: bigint("reported_user_id", { mode: "number" })
      .notNull()
      .references(() => users.id),
    matchId: bigint("match_id", { mode: "number" }).references(() => matches.id, { onDelete: "set null" }),
    contentType: text("content_type").$type<(typeof REPORT_CONTENT_TYPES)[number]>().notNull(),
    contentId: text("content_id"),
    /** A copy of the reported content, kept after the original self-destructs. */
    evidence: text("evidence"),
    reason: text("reason").notNull(),
    status: text("status").$type<(typeof REPORT_STATUSES)[number]>().notNull().default("pending"),
    /** Whether this report counts toward the automatic ban (the rule in safety/service.ts), decided when it was made. */
    countsTowardBan: boolean("counts_toward_ban").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
    resolvedAt: timestamp("resolved_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    check("reports_distinct_users", sql`${t.reporterId} <> ${t.reportedUserId}`),
    check("reports_content_type_valid", sql`${t.contentType} IN ('message', 'profile', 'photo', 'match')`),
    check("reports_status_valid", sql`${t.status} IN ('pending', 'actioned', 'dismissed')`),
    check("reports_reason_length", sql`char_length(${t.reason}) BETWEEN 1 AND 1000`),
    check("reports_content_id_length", sql`char_length(${t.contentId}) <= 64`),
    index("reports_reported_recent_idx").on(t.reportedUserId, t.createdAt),
    index("reports_status_idx").on(t.status, t.id),
  ],
);
