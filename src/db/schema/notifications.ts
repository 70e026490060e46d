// The notification outbox: what the bot is to tell a user, written with the event that caused it, and who sends.
import { sql } from "drizzle-orm";
import { bigint, check, index, integer, pgTable, smallint, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

export const NOTIFICATION_KIND_VALUES = ["new_match", "messages", "unlocks", "expiring", "secret_chat"] as const;
export type NotificationKindValue = (typeof NOTIFICATION_KIND_VALUES)[number];

/**
 * pending: waiting for `not_before`; sending: claimed by the sender, its sendMessage under way (a
 * row left here by a crash is given up, never sent again: its call may have reached Telegram);
 * sent: Telegram answered 200; skipped: not sent on purpose (the user was online, had read
 * everything, turned the kind off, or the match ended); dropped: 403, the user blocked the bot;
 * failed: 24 hours of failures, or an outcome left unknown by a crash.
 */
export const NOTIFICATION_STATUSES = ["pending", "sending", "sent", "skipped", "dropped", "failed"] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/**
 * One notification to one user about one match. No foreign keys: the row outlives nothing it names
 * (the sender re-reads the match and the user's chat when it sends). `level` is the level reached
 * for "unlocks", else 0.
 */
export const notifications = pgTable(
  "notifications",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    userId: bigint("user_id", { mode: "number" }).notNull(),
    kind: text("kind").$type<NotificationKindValue>().notNull(),
    matchId: bigint("match_id", { mode: "number" }).notNull(),
    level: smallint("level").notNull().default(0),
    status: text("status").$type<NotificationStatus>().notNull().default("pending"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
    /** The earliest time of the next attempt. */
    notBefore: timestamp("not_before", { withTimezone: true, mode: "date" }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    /** When it left pending for good (sent, skipped, dropped, failed). */
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
    /** Why it was skipped, dropped or failed, or the last failure while it is retried. */
    reason: text("reason"),
  },
  (t) => [
    check("notifications_kind_valid", sql.raw(`kind IN (${NOTIFICATION_KIND_VALUES.map((k) => `'${k}'`).join(", ")})`)),
    check(
      "notifications_status_valid",
      sql.raw(`status IN (${NOTIFICATION_STATUSES.map((k) => `'${k}'`).join(", ")})`),
    ),
    // Coalescing: one pending row per user, match, kind and level; a later event finds it and adds nothing.
    uniqueIndex("notifications_pending_uq").on(t.userId, t.matchId, t.kind, t.level).where(sql`status = 'pending'`),
    // A new match, a level and an expiry are told once per match, whatever happens to the row.
    uniqueIndex("notifications_once_uq")
      .on(t.userId, t.matchId, t.kind, t.level)
      .where(sql`kind IN ('new_match', 'unlocks', 'expiring')`),
    // The sender's queue.
    index("notifications_due_idx").on(t.notBefore, t.id).where(sql`status = 'pending'`),
    // Rows a sender claimed: a crashed sender's are found here.
    index("notifications_sending_idx").on(t.notBefore).where(sql`status = 'sending'`),
    // The 15-minute window of "messages": the last one finished for a user and match.
    index("notifications_finished_idx")
      .on(t.userId, t.matchId, t.kind, t.finishedAt)
      .where(sql`finished_at IS NOT NULL`),
  ],
);

/**
 * The one sender across processes: the process whose lease has not run out sends; the others look
 * again after their interval. One row (id 1), made by the first process that takes the lease.
 */
export const notificationSender = pgTable(
  "notification_sender",
  {
    id: smallint("id").primaryKey(),
    holder: text("holder").notNull(),
    leaseUntil: timestamp("lease_until", { withTimezone: true, mode: "date" }).notNull(),
    /** After a 429: no process sends before this (Telegram's flood control is per bot). */
    pausedUntil: timestamp("paused_until", { withTimezone: true, mode: "date" }),
  },
  (t) => [check("notification_sender_one_row", sql`${t.id} = 1`)],
);
