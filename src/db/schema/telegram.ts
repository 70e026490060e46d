// What the bot knows: the updates already handled (deduplication) and each user's private chat with the bot.
import { sql } from "drizzle-orm";
import { bigint, boolean, check, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * One row per Telegram update handled. Its primary key is what makes a repeated update_id (Telegram
 * retries, or two deliveries at once) be handled once: the insert that loses does nothing.
 */
export const telegramUpdates = pgTable("telegram_updates", {
  updateId: bigint("update_id", { mode: "number" }).primaryKey(),
  receivedAt: timestamp("received_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

/**
 * A user's private chat with the bot, from their /start or my_chat_member. `reachable` is false once
 * they blocked the bot. No foreign key to users: someone may start the bot before using the app.
 */
export const telegramChats = pgTable(
  "telegram_chats",
  {
    userId: bigint("user_id", { mode: "number" }).primaryKey(),
    chatId: bigint("chat_id", { mode: "number" }).notNull(),
    /** The IETF tag Telegram reported for the user, e.g. "en" or "hi"; null when it sent none. */
    languageCode: text("language_code"),
    reachable: boolean("reachable").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    check("telegram_chats_user_id_positive", sql`${t.userId} > 0`),
    check("telegram_chats_language_code_length", sql`char_length(${t.languageCode}) <= 35`),
  ],
);
