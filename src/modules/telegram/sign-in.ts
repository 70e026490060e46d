// What a Mini App sign-in tells the bot: the user's language, and whether it may write to them.
import { sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { telegramChats } from "../../db/schema";

/**
 * Keeps the language_code of a sign-in's initData for the bot's texts (a later one without a code
 * keeps the one we had). A user the bot never heard from becomes reachable only when their
 * initData says allows_write_to_pm (their private chat's id is their user id); a chat already
 * known keeps its reachability, so someone who blocked the bot stays unreachable.
 */
export async function rememberSignIn(
  db: Db,
  userId: number,
  languageCode: string | null,
  allowsWriteToPm: boolean,
): Promise<void> {
  if (languageCode === null && !allowsWriteToPm) return;
  await db
    .insert(telegramChats)
    .values({ userId, chatId: userId, languageCode, reachable: allowsWriteToPm })
    .onConflictDoUpdate({
      target: telegramChats.userId,
      set: {
        languageCode: sql`coalesce(excluded.language_code, ${telegramChats.languageCode})`,
        updatedAt: sql`now()`,
      },
    });
}
