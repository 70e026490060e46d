// Writing notifications: the one SQL insert every event's statement or transaction folds in, and the rules of who gets a row.
import { type SQL, sql } from "drizzle-orm";
import { at, type Db, type Instant } from "../../db/client";

/** A match with messages is told it expires when this little is left. */
export const EXPIRING_WITHIN_MS = 2 * 3600_000;
/** At most one "N new messages" per user and match in this window. */
export const MESSAGES_WINDOW_MS = 15 * 60_000;

/**
 * The INSERT that turns `source` (rows of user_id, match_id, kind, level) into pending notifications,
 * for use as a CTE or a statement in the event's own transaction. A row is written only for a user
 * whose Telegram chat is reachable and who has that kind on (no user_settings row: every kind on):
 * nobody else could be sent anything, so nothing is stored for them. A pending row for the same user,
 * match, kind and level takes the new event in (coalescing: its text is made when it is sent; that
 * row is looked for first, behind an OFFSET 0 fence, so the usual case of a chat in full swing costs one
 * index probe and no join), and
 * a new match, a level or an expiry already told once is not told again (the two unique indexes of
 * notifications; ON CONFLICT DO NOTHING is a probe, no row written).
 */
export const outboxInsertSql = (source: SQL, now: Instant): SQL =>
  sql`INSERT INTO notifications (user_id, match_id, kind, level, created_at, not_before)
      SELECT r.user_id, r.match_id, r.kind, r.level, ${at(now)}, ${at(now)}
      FROM (
        SELECT * FROM (${source}) AS s (user_id, match_id, kind, level)
        WHERE NOT EXISTS (
          SELECT 1 FROM notifications p
          WHERE p.user_id = s.user_id AND p.match_id = s.match_id AND p.kind = s.kind AND p.level = s.level
            AND p.status = 'pending')
        OFFSET 0
      ) AS r
      JOIN telegram_chats tc ON tc.user_id = r.user_id AND tc.reachable
      LEFT JOIN user_settings us ON us.user_id = r.user_id
      WHERE ${kindOnSql(sql`r.kind`, sql.raw("us"))}
      ON CONFLICT DO NOTHING`;

/** Whether the user_settings row `settings` (null: no row, all on) lets the kind `kind` be sent. */
export const kindOnSql = (kind: SQL, settings: SQL): SQL =>
  sql`coalesce(CASE ${kind}
        WHEN 'new_match' THEN ${settings}.notify_new_match
        WHEN 'messages' THEN ${settings}.notify_messages
        WHEN 'unlocks' THEN ${settings}.notify_unlocks
        WHEN 'expiring' THEN ${settings}.notify_expiring
        WHEN 'secret_chat' THEN ${settings}.notify_secret_chat
      END, true)`;

/** Runs the insert of `source` on its own (inside the caller's transaction). */
export async function writeNotifications(db: Pick<Db, "execute">, source: SQL, now: Date): Promise<void> {
  await db.execute(outboxInsertSql(source, now));
}

/**
 * The sweeper's part: each participant of an open match with messages that expires within
 * EXPIRING_WITHIN_MS, once per match (the once index).
 */
export const expiringSourceSql = (now: Date): SQL =>
  sql`SELECT p.user_id, m.id, 'expiring'::text, 0::smallint
      FROM matches m CROSS JOIN LATERAL (VALUES (m.user_a), (m.user_b)) AS p (user_id)
      WHERE m.is_active AND m.expires_at > ${at(now)}
        AND m.expires_at <= ${at(new Date(now.getTime() + EXPIRING_WITHIN_MS))} AND m.message_count > 0`;
