// What the bot does with one Telegram update: deduplicate it durably, change the user's state, and say
// which messages to send back. Sending is the caller's (routes.ts), after the state is committed.
import type { InlineKeyboardMarkup, Message, Update, User } from "@grammyjs/types";
import { eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { type Language, telegramChats, telegramUpdates, userSettings } from "../../db/schema";
import { recordPayment } from "../payments/checkout";
import { recordRefund } from "../payments/refunds";
import { allNotificationsOff } from "../settings/service";
import { languageOf, textsFor } from "./texts";

/**
 * The update types the webhook handles, as setWebhook's allowed_updates. successful_payment arrives
 * inside "message"; pre_checkout_query is answered by routes.ts before any of this (payments/checkout.ts).
 */
export const HANDLED_UPDATES = ["message", "my_chat_member", "pre_checkout_query"] as const satisfies ReadonlyArray<
  Exclude<keyof Update, "update_id">
>;

/** A message for the bot to send: one sendMessage. */
export interface Reply {
  readonly chatId: number;
  readonly text: string;
  readonly replyMarkup?: InlineKeyboardMarkup;
}

export interface UpdateContext {
  /** PUBLIC_URL: the Mini App the buttons open; without it the welcome has no button. */
  readonly publicUrl: string | null;
}

/** The /start payload of a link opening one match: m<match_id>. */
const MATCH_PAYLOAD = /^m([1-9][0-9]{0,15})$/;
/** A command in a private chat, with the bot's name allowed after it (/start@mm_bot) and its payload. */
const COMMAND = /^\/([a-z]+)(?:@[A-Za-z0-9_]+)?(?:\s+(\S.*))?$/s;

/**
 * Handles `update` once: the first delivery of its update_id inserts the row that marks it handled
 * and applies its changes in the same transaction; any later or concurrent delivery of the same id
 * waits on that row's key, finds it taken, and changes nothing (null). A failure rolls both back, so
 * Telegram's retry handles it again.
 */
export async function handleUpdate(db: Db, context: UpdateContext, update: Update): Promise<Reply[] | null> {
  return db.transaction(async (tx) => {
    const fresh = await tx
      .insert(telegramUpdates)
      .values({ updateId: update.update_id })
      .onConflictDoNothing()
      .returning({ updateId: telegramUpdates.updateId });
    if (fresh.length === 0) return null;
    return dispatch(tx as unknown as Db, context, update);
  });
}

function dispatch(db: Db, context: UpdateContext, update: Update): Promise<Reply[]> {
  if (update.message?.successful_payment) return onPayment(db, update);
  if (update.message?.refunded_payment) return onRefund(db, update.message);
  if (update.message) return onMessage(db, context, update.message);
  if (update.my_chat_member) return onMyChatMember(db, update.my_chat_member);
  return Promise.resolve([]);
}

/**
 * A Stars payment: credited once per telegram_payment_charge_id, in this update's transaction
 * (payments/checkout.ts). Telegram shows the payer its own receipt, so nothing is sent back.
 */
async function onPayment(db: Db, update: Update): Promise<Reply[]> {
  await recordPayment(db, update.update_id, update.message!);
  return [];
}

/** A Stars payment refunded (by our refund route, or some other way): what it gave is taken back once. */
async function onRefund(db: Db, message: Message): Promise<Reply[]> {
  await recordRefund(db, message.refunded_payment);
  return [];
}

async function onMessage(db: Db, context: UpdateContext, message: Message): Promise<Reply[]> {
  const from = message.from;
  if (message.chat.type !== "private" || !from || from.is_bot || typeof message.text !== "string") return [];
  const command = COMMAND.exec(message.text.trim());
  switch (command?.[1]) {
    case "start":
      return onStart(db, context, message.chat.id, from, command[2]?.trim());
    case "stop":
      return onStop(db, message.chat.id, from);
    default:
      return [];
  }
}

/** /start [payload]: the user becomes reachable, and gets a welcome with a button opening the Mini App. */
async function onStart(
  db: Db,
  context: UpdateContext,
  chatId: number,
  from: User,
  payload: string | undefined,
): Promise<Reply[]> {
  await rememberChat(db, from, chatId, true);
  const texts = textsFor(await languageFor(db, from));
  const matchId = payload ? MATCH_PAYLOAD.exec(payload)?.[1] : undefined;
  const text = matchId ? texts.welcomeToMatch : texts.welcome;
  if (context.publicUrl === null) return [{ chatId, text }];
  const url = new URL(context.publicUrl);
  if (matchId) url.hash = `match=${matchId}`;
  const button = { text: matchId ? texts.openMatch : texts.openApp, web_app: { url: url.toString() } };
  return [{ chatId, text, replyMarkup: { inline_keyboard: [[button]] } }];
}

/** /stop: every notification off (the Mini App's settings turn them back on). */
async function onStop(db: Db, chatId: number, from: User): Promise<Reply[]> {
  await rememberChat(db, from, chatId, true);
  const { language } = await allNotificationsOff(db, from.id);
  return [{ chatId, text: textsFor(language).stopped }];
}

/** The user blocked the bot (kicked: unreachable) or unblocked it (member: reachable again). */
async function onMyChatMember(db: Db, change: NonNullable<Update["my_chat_member"]>): Promise<Reply[]> {
  if (change.chat.type !== "private" || change.from.is_bot) return [];
  const status = change.new_chat_member.status;
  if (status === "kicked") await rememberChat(db, change.from, change.chat.id, false);
  else if (status === "member") await rememberChat(db, change.from, change.chat.id, true);
  return [];
}

/** A send to this private chat answered 403: the user blocked the bot (or left Telegram) and is unreachable. */
export async function markUnreachable(db: Db, chatId: number): Promise<void> {
  await db
    .update(telegramChats)
    .set({ reachable: false, updatedAt: sql`now()` })
    .where(eq(telegramChats.chatId, chatId));
}

/** Stores the user's private chat, language code and whether the bot can write to them. */
async function rememberChat(db: Db, from: User, chatId: number, reachable: boolean): Promise<void> {
  const languageCode = from.language_code?.slice(0, 35) ?? null;
  await db
    .insert(telegramChats)
    .values({ userId: from.id, chatId, languageCode, reachable })
    .onConflictDoUpdate({
      target: telegramChats.userId,
      set: {
        chatId,
        reachable,
        // A later update without a language code keeps the one we had.
        languageCode: sql`coalesce(excluded.language_code, ${telegramChats.languageCode})`,
        updatedAt: sql`now()`,
      },
    });
}

/** The language the user chose in the settings, else the one Telegram reports for them now. */
async function languageFor(db: Db, from: User): Promise<Language> {
  const [row] = await db
    .select({ language: userSettings.language })
    .from(userSettings)
    .where(eq(userSettings.userId, from.id));
  return row?.language ?? languageOf(from.language_code);
}
