// Whether a claimed notification goes out now: what it is looked at again with at send time, and the decision.
import { sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { at, type Db, type RawTimestamp, rows, toDate, toDateOrNull } from "../../db/client";
import { type Language, messages, type NotificationKindValue } from "../../db/schema";
import type { Presence } from "../../realtime/presence";
import { messageVisibleSql } from "../rules";
import { languageOf } from "../telegram/texts";
import { EXPIRING_WITHIN_MS, kindOnSql, MESSAGES_WINDOW_MS } from "./outbox";

/** A notification row a sender has claimed ("sending"). */
export interface Claimed {
  id: number;
  userId: number;
  matchId: number;
  kind: NotificationKindValue;
  level: number;
  createdAt: RawTimestamp;
  attempts: number;
}

/** What a claimed row is decided on: the user's chat and settings, the match, the unread count. */
export interface Context {
  id: number;
  chatId: number | null;
  reachable: boolean | null;
  language: Language | null;
  languageCode: string | null;
  kindOn: boolean;
  open: boolean | null;
  expiresAt: RawTimestamp | null;
  unread: number | null;
  lastTold: RawTimestamp | null;
}

export type Decision =
  | { do: "send"; chatId: number; language: Language; unread: number }
  | { do: "skip"; reason: string }
  | { do: "drop"; reason: string }
  | { do: "postpone"; until: Date };

const msg = alias(messages, "msg");
const idArray = (ids: readonly number[]) => `{${ids.join(",")}}`;

/** The context of each claimed row, read in one statement, by row id. */
export async function contextOf(db: Db, now: Date, ids: readonly number[]): Promise<Map<number, Context>> {
  const found = await rows<Context>(
    db,
    sql`SELECT n.id, tc.chat_id AS "chatId", tc.reachable, us.language, tc.language_code AS "languageCode",
          ${kindOnSql(sql`n.kind`, sql.raw("us"))} AS "kindOn",
          m.is_active AND m.expires_at > ${at(now)} AS open, m.expires_at AS "expiresAt",
          CASE WHEN n.kind = 'messages' THEN (
            SELECT count(*)::int FROM messages msg
            WHERE msg.match_id = n.match_id AND msg.sender_id <> n.user_id AND ${messageVisibleSql(msg, now)}
              AND msg.id > coalesce((SELECT rm.last_read_id FROM read_markers rm
                                      WHERE rm.match_id = n.match_id AND rm.user_id = n.user_id), 0)
          ) END AS unread,
          CASE WHEN n.kind = 'messages' THEN (
            SELECT max(f.finished_at) FROM notifications f
            WHERE f.user_id = n.user_id AND f.match_id = n.match_id AND f.kind = 'messages'
              AND f.finished_at IS NOT NULL AND f.status IN ('sent', 'skipped')
          ) END AS "lastTold"
        FROM notifications n
        LEFT JOIN telegram_chats tc ON tc.user_id = n.user_id
        LEFT JOIN user_settings us ON us.user_id = n.user_id
        LEFT JOIN matches m ON m.id = n.match_id
        WHERE n.id = ANY(${idArray(ids)}::bigint[])`,
  );
  return new Map(found.map((row) => [Number(row.id), row]));
}

/** Whether to send now, and if not, why: everything is looked at again, at send time. */
export async function decide(
  row: Claimed,
  context: Context | undefined,
  now: Date,
  presence: Presence,
): Promise<Decision> {
  if (!context || context.chatId === null || !context.reachable) return { do: "drop", reason: "unreachable" };
  if (!context.kindOn) return { do: "skip", reason: "turned off" };
  if (!context.open) return { do: "skip", reason: "match closed" };
  if (row.kind === "expiring" && toDate(context.expiresAt!).getTime() > now.getTime() + EXPIRING_WITHIN_MS)
    return { do: "skip", reason: "match extended" };
  if (row.kind === "messages") {
    const told = toDateOrNull(context.lastTold);
    if (told && told.getTime() + MESSAGES_WINDOW_MS > now.getTime())
      return { do: "postpone", until: new Date(told.getTime() + MESSAGES_WINDOW_MS) };
    if (!context.unread) return { do: "skip", reason: "read" };
  }
  // Someone with a socket open on any match, on any process (presence is shared), is in the app and sees it there.
  if (await presence.anywhere(row.userId)) return { do: "skip", reason: "online" };
  const language = context.language ?? languageOf(context.languageCode);
  return { do: "send", chatId: Number(context.chatId), language, unread: context.unread ?? 0 };
}
