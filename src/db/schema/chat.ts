// Messages, per-user read markers and secret-chat requests of a match.
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { matches } from "./matches";
import { users } from "./users";

export const messages = pgTable(
  "messages",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    matchId: bigint("match_id", { mode: "number" })
      .notNull()
      .references(() => matches.id, { onDelete: "cascade" }),
    senderId: bigint("sender_id", { mode: "number" })
      .notNull()
      .references(() => users.id),
    text: text("text").notNull(),
    /** The match's message_count right after this message: replays an idempotent send's reply. */
    seq: integer("seq").notNull(),
    /** The match's unlock_progress right after this message, and the level it reached (if any): its reply, for a replay. */
    unlockProgress: integer("unlock_progress").notNull().default(0),
    unlocked: smallint("unlocked"),
    clientMsgId: text("client_msg_id"),
    isSecret: boolean("is_secret").notNull().default(false),
    selfDestructAt: timestamp("self_destruct_at", { withTimezone: true, mode: "date" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [
    check("messages_text_length", sql`char_length(${t.text}) BETWEEN 1 AND 2000`),
    check("messages_client_msg_id_length", sql`char_length(${t.clientMsgId}) BETWEEN 1 AND 64`),
    check("messages_secret_has_deadline", sql`(${t.isSecret}) = (${t.selfDestructAt} IS NOT NULL)`),
    index("messages_match_id_idx").on(t.matchId, t.id),
    index("messages_sender_id_idx").on(t.senderId),
    /** A retried send with the same client_msg_id stores nothing new. */
    uniqueIndex("messages_client_msg_id_unique").on(t.matchId, t.senderId, t.clientMsgId),
    index("messages_self_destruct_idx").on(t.selfDestructAt).where(sql`${t.selfDestructAt} IS NOT NULL`),
  ],
);

/**
 * The client_msg_ids of messages that self-destructed: the sweeper moves them here as it deletes the
 * messages, so a retried send still answers the first reply and never stores the text again.
 */
export const spentClientMsgIds = pgTable(
  "spent_client_msg_ids",
  {
    matchId: bigint("match_id", { mode: "number" })
      .notNull()
      .references(() => matches.id, { onDelete: "cascade" }),
    senderId: bigint("sender_id", { mode: "number" })
      .notNull()
      .references(() => users.id),
    clientMsgId: text("client_msg_id").notNull(),
    /** The deleted message's id and count, which the replayed reply carries. */
    messageId: bigint("message_id", { mode: "number" }).notNull(),
    seq: integer("seq").notNull(),
    unlockProgress: integer("unlock_progress").notNull().default(0),
    unlocked: smallint("unlocked"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.matchId, t.senderId, t.clientMsgId] })],
);

export const readMarkers = pgTable(
  "read_markers",
  {
    matchId: bigint("match_id", { mode: "number" })
      .notNull()
      .references(() => matches.id, { onDelete: "cascade" }),
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id),
    lastReadId: bigint("last_read_id", { mode: "number" }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.matchId, t.userId] })],
);

export const SECRET_CHAT_STATUSES = ["pending", "accepted", "declined", "expired"] as const;

export const secretChatRequests = pgTable(
  "secret_chat_requests",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    matchId: bigint("match_id", { mode: "number" })
      .notNull()
      .references(() => matches.id, { onDelete: "cascade" }),
    requesterId: bigint("requester_id", { mode: "number" })
      .notNull()
      .references(() => users.id),
    durationMinutes: smallint("duration_minutes").notNull(),
    status: text("status").$type<(typeof SECRET_CHAT_STATUSES)[number]>().notNull().default("pending"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
    /** A pending request lapses at this time (10 minutes after it was made). */
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    respondedAt: timestamp("responded_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    check("secret_chat_requests_duration_range", sql`${t.durationMinutes} BETWEEN 5 AND 60`),
    check("secret_chat_requests_status_valid", sql`${t.status} IN ('pending', 'accepted', 'declined', 'expired')`),
    /** One pending request per match at a time. */
    uniqueIndex("secret_chat_requests_one_pending").on(t.matchId).where(sql`${t.status} = 'pending'`),
    index("secret_chat_requests_pending_expiry_idx").on(t.expiresAt).where(sql`${t.status} = 'pending'`),
  ],
);
