// A user's settings: which notifications the bot may send, and their language. No row = every default.
import { eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { type Language, telegramChats, userSettings } from "../../db/schema";
import { languageOf } from "../telegram/texts";

/** The notification kinds, by the contract's names, and the column each is stored in. */
const COLUMNS = {
  new_match: "notifyNewMatch",
  messages: "notifyMessages",
  unlocks: "notifyUnlocks",
  expiring: "notifyExpiring",
  secret_chat: "notifySecretChat",
} as const;
export type NotificationKind = keyof typeof COLUMNS;
export const NOTIFICATION_KINDS = Object.keys(COLUMNS) as NotificationKind[];

export type Notifications = Record<NotificationKind, boolean>;

export interface Settings {
  readonly notifications: Notifications;
  /** The language chosen, else the one of the user's Telegram language_code, else English. */
  readonly language: Language;
}

/** A partial change: only what is given changes. */
export interface SettingsChange {
  readonly notifications?: Partial<Notifications>;
  readonly language?: Language;
}

export async function getSettings(db: Db, userId: number): Promise<Settings> {
  const [[row], [chat]] = await Promise.all([
    db.select().from(userSettings).where(eq(userSettings.userId, userId)),
    db.select({ languageCode: telegramChats.languageCode }).from(telegramChats).where(eq(telegramChats.userId, userId)),
  ]);
  const notifications = Object.fromEntries(
    NOTIFICATION_KINDS.map((kind) => [kind, row ? row[COLUMNS[kind]] : true]),
  ) as Notifications;
  return { notifications, language: row?.language ?? languageOf(chat?.languageCode) };
}

/** Applies `change` (creating the row with defaults for the rest) and returns the settings after it. */
export async function changeSettings(db: Db, userId: number, change: SettingsChange): Promise<Settings> {
  const values: Partial<typeof userSettings.$inferInsert> = {};
  for (const kind of NOTIFICATION_KINDS) {
    const value = change.notifications?.[kind];
    if (value !== undefined) values[COLUMNS[kind]] = value;
  }
  if (change.language !== undefined) values.language = change.language;
  if (Object.keys(values).length > 0) {
    await db
      .insert(userSettings)
      .values({ userId, ...values })
      .onConflictDoUpdate({ target: userSettings.userId, set: { ...values, updatedAt: sql`now()` } });
  }
  return getSettings(db, userId);
}

/** /stop: every notification off. */
export const allNotificationsOff = (db: Db, userId: number) =>
  changeSettings(db, userId, {
    notifications: Object.fromEntries(NOTIFICATION_KINDS.map((kind) => [kind, false])) as Notifications,
  });
