// The sweeper: deletes self-destructed messages, ends expired matches and secret chats, lapses requests,
// writes "expires soon" notifications and prunes what the bot no longer needs.
import { sql } from "drizzle-orm";
import { at, type Db, rows } from "../../db/client";
import { log } from "../../log";
import { type Bus, publishMatchEnded, publishToParticipants } from "../../realtime/bus";
import { expiringSourceSql, outboxInsertSql } from "../notifications/outbox";

/** A match and its two participants, to address events to. */
export interface MatchPair {
  id: number;
  userA: number;
  userB: number;
}

export interface SweepResult {
  deletedMessages: number;
  /** Matches that reached expires_at: each gets match_ended (reason "expired"). */
  expiredMatches: MatchPair[];
  /** Matches whose secret chat ran out: each gets secret_chat_ended. */
  endedSecretChats: MatchPair[];
  lapsedRequests: number;
  /** "Expires soon" notifications written (notifications/outbox.ts). */
  expiringNotified: number;
  /**
   * Handled Telegram updates and finished notifications past their keeping time, and pool rows whose
   * search ended a minute ago without its request taking them out (its process died), deleted.
   */
  pruned: number;
}

/** Handled update ids are kept this long (Telegram retries an update for a day at most), finished notifications too. */
export const KEEP_MS = 7 * 24 * 3600_000;

// Arbitrary constant naming the sweeper's lock among PostgreSQL advisory locks.
export const SWEEP_LOCK_KEY = 0x6d6d7377;
const pairColumns = sql.raw(`id, user_a AS "userA", user_b AS "userB"`);

// Rows deleted per statement, so one sweep never holds a huge delete open.
const DELETE_BATCH = 5000;

/**
 * One sweep at `now`, or null when another process is sweeping: the transaction-scoped advisory
 * lock lets exactly one of many processes work at a time, and the others skip this round.
 */
export async function sweep(db: Db, now = new Date()): Promise<SweepResult | null> {
  return db.transaction(async (tx) => {
    const [lock] = await rows<{ locked: boolean }>(
      tx,
      sql`SELECT pg_try_advisory_xact_lock(${SWEEP_LOCK_KEY}) AS locked`,
    );
    if (!lock?.locked) return null;

    let deletedMessages = 0;
    for (;;) {
      const deleted = await rows<{ id: number }>(
        tx,
        sql`WITH deleted AS (
              DELETE FROM messages WHERE id IN (
                SELECT id FROM messages WHERE self_destruct_at <= ${at(now)} LIMIT ${DELETE_BATCH}
              ) RETURNING id, match_id, sender_id, client_msg_id, seq, unlock_progress, unlocked
            ), spent AS (
              INSERT INTO spent_client_msg_ids
                (match_id, sender_id, client_msg_id, message_id, seq, unlock_progress, unlocked, created_at)
              SELECT match_id, sender_id, client_msg_id, id, seq, unlock_progress, unlocked, ${at(now)} FROM deleted
              WHERE client_msg_id IS NOT NULL
              ON CONFLICT DO NOTHING
            )
            SELECT id FROM deleted`,
      );
      deletedMessages += deleted.length;
      if (deleted.length < DELETE_BATCH) break;
    }
    const expiredMatches = await rows<MatchPair>(
      tx,
      sql`UPDATE matches SET is_active = false, ended_at = expires_at, end_reason = 'expired'
          WHERE is_active AND expires_at <= ${at(now)} RETURNING ${pairColumns}`,
    );
    const endedSecretChats = await rows<MatchPair>(
      tx,
      sql`UPDATE matches SET secret_chat_expires_at = NULL
          WHERE secret_chat_expires_at <= ${at(now)} RETURNING ${pairColumns}`,
    );
    const lapsed = await rows<{ id: number }>(
      tx,
      sql`UPDATE secret_chat_requests SET status = 'expired'
          WHERE status = 'pending' AND expires_at <= ${at(now)} RETURNING id`,
    );
    const [expiring] = await rows<{ count: number }>(
      tx,
      sql`WITH written AS (${outboxInsertSql(expiringSourceSql(now), now)} RETURNING id)
          SELECT count(*)::int AS count FROM written`,
    );
    const keptSince = at(new Date(now.getTime() - KEEP_MS));
    const [pruned] = await rows<{ count: number }>(
      tx,
      sql`WITH updates AS (DELETE FROM telegram_updates WHERE received_at < ${keptSince} RETURNING 1),
               finished AS (DELETE FROM notifications WHERE finished_at < ${keptSince} RETURNING 1),
               searches AS (DELETE FROM match_pool WHERE expires_at < ${at(new Date(now.getTime() - 60_000))} RETURNING 1)
          SELECT (SELECT count(*) FROM updates)::int + (SELECT count(*) FROM finished)::int
                 + (SELECT count(*) FROM searches)::int AS count`,
    );
    return {
      deletedMessages,
      expiredMatches,
      endedSecretChats,
      lapsedRequests: lapsed.length,
      expiringNotified: expiring?.count ?? 0,
      pruned: pruned?.count ?? 0,
    };
  });
}

/** Tells the participants what a sweep ended; called after the sweep committed. */
export function publishSweep(bus: Bus, result: SweepResult): void {
  for (const match of result.expiredMatches) {
    publishMatchEnded(bus, match.id, [match.userA, match.userB], "expired");
  }
  for (const match of result.endedSecretChats) {
    publishToParticipants(bus, match.id, [match.userA, match.userB], { type: "secret_chat_ended" });
  }
}

/** Sweeps every `intervalSeconds`, publishing what each sweep ended, until the returned stop is called. */
export function startSweeper(db: Db, bus: Bus, intervalSeconds: number): () => void {
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      const result = await sweep(db);
      if (!result) return;
      publishSweep(bus, result);
      const { deletedMessages, expiredMatches, endedSecretChats, expiringNotified, pruned } = result;
      if (deletedMessages + expiredMatches.length + endedSecretChats.length + expiringNotified + pruned > 0) {
        log("info", "swept", {
          deletedMessages: result.deletedMessages,
          expiredMatches: result.expiredMatches.length,
          endedSecretChats: result.endedSecretChats.length,
          lapsedRequests: result.lapsedRequests,
          expiringNotified: result.expiringNotified,
          pruned: result.pruned,
        });
      }
    } catch (error) {
      log("error", "sweep failed", { error: String(error) });
    } finally {
      running = false;
    }
  }, intervalSeconds * 1000);
  return () => clearInterval(timer);
}
