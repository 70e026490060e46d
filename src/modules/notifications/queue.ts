// The notification rows and the sender's lease in SQL: what a sender claims, then finishes, retries or drops.
import { sql } from "drizzle-orm";
import { at, type Db, type RawTimestamp, rows, toDateOrNull } from "../../db/client";
import type { Claimed } from "./decision";

/** How long a sender's lease lasts; it renews it every tick, and a stopped sender gives it up. */
export const LEASE_MS = 15_000;
/** A row claimed this long ago and still "sending" was left by a sender that died during its call. */
export const STALE_SENDING_MS = 60_000;

const idArray = (ids: readonly number[]) => `{${ids.join(",")}}`;

/** The statements of one sender (`holder` names it in the lease row). */
export function notificationQueue(db: Db, holder: string) {
  const backToPending = (id: number, notBefore: Date, reason: string | null, countAttempt: boolean) =>
    db.execute(
      sql`UPDATE notifications SET status = 'pending', not_before = ${at(notBefore)}, reason = ${reason},
            attempts = attempts + ${countAttempt ? 1 : 0}
          WHERE id = ${id} AND status = 'sending'`,
    );

  return {
    /** Takes the lease, or keeps it; not the leader while another process holds one that has not run out. */
    async lease(now: Date): Promise<{ leader: boolean; pausedUntil: Date | null }> {
      const [row] = await rows<{ pausedUntil: RawTimestamp | null }>(
        db,
        sql`INSERT INTO notification_sender (id, holder, lease_until) VALUES (1, ${holder}, ${at(new Date(now.getTime() + LEASE_MS))})
            ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
            WHERE notification_sender.holder = excluded.holder OR notification_sender.lease_until <= ${at(now)}
            RETURNING paused_until AS "pausedUntil"`,
      );
      const pausedUntil = toDateOrNull(row?.pausedUntil ?? null);
      return { leader: row !== undefined, pausedUntil: pausedUntil && pausedUntil > now ? pausedUntil : null };
    },

    /** The next process (a restart, another worker) takes over at once instead of after the lease. */
    async releaseLease(): Promise<void> {
      await db.execute(
        sql`UPDATE notification_sender SET lease_until = '-infinity' WHERE id = 1 AND holder = ${holder}`,
      );
    },

    /**
     * A row still "sending" long after its claim was left by a sender that died during its call: that
     * call may have reached Telegram, so it is given up, never sent again (at most once). Gives how many.
     */
    async giveUpStale(now: Date): Promise<number> {
      const given = await rows<{ id: number }>(
        db,
        sql`UPDATE notifications SET status = 'failed', finished_at = ${at(now)},
              reason = 'outcome unknown: the sender stopped during its call'
            WHERE status = 'sending' AND not_before <= ${at(new Date(now.getTime() - STALE_SENDING_MS))} RETURNING id`,
      );
      return given.length;
    },

    /**
     * Claims up to `limit` due rows, the oldest first, one per user, none for the `excluded` users
     * (sent to within the last second): they become "sending" (not_before = the claim time) in this
     * one statement, so no other sender can take them, and a crash leaves them for giveUpStale.
     */
    claim(now: Date, limit: number, excluded: readonly number[]): Promise<Claimed[]> {
      return rows<Claimed>(
        db,
        sql`WITH due AS (
              SELECT id, user_id, not_before FROM notifications
              WHERE status = 'pending' AND not_before <= ${at(now)} AND user_id <> ALL(${idArray(excluded)}::bigint[])
              ORDER BY not_before, id LIMIT ${limit * 4} FOR UPDATE SKIP LOCKED
            ), one AS (
              SELECT id FROM (SELECT DISTINCT ON (user_id) id, not_before FROM due ORDER BY user_id, not_before, id) d
              ORDER BY not_before, id LIMIT ${limit}
            )
            UPDATE notifications n SET status = 'sending', not_before = ${at(now)}
            FROM one WHERE n.id = one.id
            RETURNING n.id, n.user_id AS "userId", n.match_id AS "matchId", n.kind, n.level,
                      n.created_at AS "createdAt", n.attempts`,
      );
    },

    /** A claimed row is done: sent, skipped, dropped or failed, with why. */
    finish: (id: number, status: string, reason: string | null, now: Date) =>
      db.execute(
        sql`UPDATE notifications SET status = ${status}, finished_at = ${at(now)}, reason = ${reason}
            WHERE id = ${id} AND status = 'sending'`,
      ),

    /** A claimed row waits again until `notBefore` (an attempt counted, or not). */
    backToPending,

    /** The user blocked the bot: their chat is unreachable and nothing pending for them is kept. Gives how many rows went. */
    async blockedChat(row: Claimed, chatId: number, now: Date): Promise<number> {
      return db.transaction(async (tx) => {
        await tx.execute(
          sql`UPDATE telegram_chats SET reachable = false, updated_at = ${at(now)} WHERE chat_id = ${chatId}`,
        );
        const dropped = await rows<{ id: number }>(
          tx as unknown as Db,
          sql`UPDATE notifications SET status = 'dropped', finished_at = ${at(now)}, reason = 'blocked the bot'
              WHERE user_id = ${row.userId} AND (status = 'pending' OR (id = ${row.id} AND status = 'sending'))
              RETURNING id`,
        );
        return dropped.length;
      });
    },

    /** A 429: no process sends until `until`; the row waits for it too. */
    async pauseAll(row: Claimed, until: Date): Promise<void> {
      await db.execute(
        sql`UPDATE notification_sender SET paused_until = greatest(coalesce(paused_until, ${at(until)}), ${at(until)}) WHERE id = 1`,
      );
      await backToPending(row.id, until, "429: flood control", false);
    },

    /** Rows waiting to be sent (pending or sending), and when the longest-waiting due one became due. */
    async backlog(now: Date): Promise<{ waiting: number; oldestDue: Date | null }> {
      const [row] = await rows<{ pending: number; oldest: RawTimestamp | null }>(
        db,
        sql`SELECT (SELECT count(*)::int FROM notifications WHERE status = 'pending')
                 + (SELECT count(*)::int FROM notifications WHERE status = 'sending') AS pending,
               (SELECT min(not_before) FROM notifications WHERE status = 'pending' AND not_before <= ${at(now)}) AS oldest`,
      );
      return { waiting: row?.pending ?? 0, oldestDue: toDateOrNull(row?.oldest ?? null) };
    },
  };
}
