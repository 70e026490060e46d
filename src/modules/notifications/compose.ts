// One notification as the sendMessage the bot sends: the text in the user's language and a button opening that match.
import type { InlineKeyboardMarkup } from "@grammyjs/types";
import type { Language, NotificationKindValue } from "../../db/schema";
import { textsFor } from "../telegram/texts";

export interface Composed {
  readonly text: string;
  readonly replyMarkup: InlineKeyboardMarkup;
}

/** The Mini App at one match: PUBLIC_URL#match=<id>, the link /start m<id> opens too (src/web reads it). */
export function matchUrl(publicUrl: string, matchId: number): string {
  const url = new URL(publicUrl);
  url.hash = `match=${matchId}`;
  return url.toString();
}

/**
 * The text says what happened and nothing of who: never the partner's id, name, a locked field or a
 * word they wrote; only the unread count (messages) or the level (unlocks).
 */
export function compose(
  publicUrl: string,
  language: Language,
  notification: { kind: NotificationKindValue; matchId: number; level: number; unread: number },
): Composed {
  const texts = textsFor(language);
  const text = {
    new_match: () => texts.newMatch,
    messages: () => texts.newMessages(notification.unread),
    unlocks: () => texts.levelReached(notification.level),
    expiring: () => texts.expiring,
    secret_chat: () => texts.secretChat,
  }[notification.kind]();
  const button = { text: texts.openMatch, web_app: { url: matchUrl(publicUrl, notification.matchId) } };
  return { text, replyMarkup: { inline_keyboard: [[button]] } };
}
