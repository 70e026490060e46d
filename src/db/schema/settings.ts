// A user's own settings: which notifications the bot may send them, and their language.
import { sql } from "drizzle-orm";
import { bigint, boolean, check, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const LANGUAGES = ["en", "hi"] as const;
export type Language = (typeof LANGUAGES)[number];

/** No row means every default: all notifications on, the language taken from Telegram's language_code. */
export const userSettings = pgTable(
  "user_settings",
  {
    userId: bigint("user_id", { mode: "number" }).primaryKey(),
    notifyNewMatch: boolean("notify_new_match").notNull().default(true),
    notifyMessages: boolean("notify_messages").notNull().default(true),
    notifyUnlocks: boolean("notify_unlocks").notNull().default(true),
    notifyExpiring: boolean("notify_expiring").notNull().default(true),
    notifySecretChat: boolean("notify_secret_chat").notNull().default(true),
    /** Chosen by the user; null until they choose, and then their Telegram language_code decides. */
    language: text("language").$type<Language>(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    check("user_settings_user_id_positive", sql`${t.userId} > 0`),
    check("user_settings_language_valid", sql`${t.language} IN ('en', 'hi')`),
  ],
);
