// The sweeper: deletes self-destructed messages, ends expired matches and secret chats, lapses requests.
import { sql } from "drizzle-orm";
import { at, type Db, rows } from "../../db/client";

export interface SweepResult {
  deletedMessages: number;
  /** Matches that reached expires_at: each gets match_ended (reason "expired"). */
  expiredMatchIds: number[];
  /** Matches whose secret chat ran out: each gets secret_chat_ended. */
  endedSecretChatIds: number[];
  lapsedRequests: number;
}

// Arbitrary constant naming the sweeper's lock among PostgreSQL advisory locks.
export const SWEEP_LOCK_KEY = 0x6d6d7377;
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
        sql`DELETE FROM messages WHERE id IN (
              SELECT id FROM messages WHERE self_destruct_at <= ${at(now)} LIMIT ${DELETE_BATCH}
            ) RETURNING id`,
      );
      deletedMessages += deleted.length;
      if (deleted.length < DELETE_BATCH) break;
    }
    const expired = await rows<{ id: number }>(
      tx,
      sql`UPDATE matches SET is_active = false, ended_at = expires_at, end_reason = 'expired'
          WHERE is_active AND expires_at <= ${at(now)} RETURNING id`,
    );
    const secretEnded = await rows<{ id: number }>(
      tx,
      sql`UPDATE matches SET secret_chat_expires_at = NULL
          WHERE secret_chat_expires_at <= ${at(now)} RETURNING id`,
    );
    const lapsed = await rows<{ id: number }>(
      tx,
      sql`UPDATE secret_chat_requests SET status = 'expired'
          WHERE status = 'pending' AND expires_at <= ${at(now)} RETURNING id`,
    );
    return {
      deletedMessages,
      expiredMatchIds: expired.map((row) => row.id),
      endedSecretChatIds: secretEnded.map((row) => row.id),
      lapsedRequests: lapsed.length,
    };
  });
}

/** Runs `sweep` every `intervalSeconds` until the returned stop function is called. */
export function startSweeper(db: Db, intervalSeconds: number, onSwept?: (result: SweepResult) => void): () => void {
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      const result = await sweep(db);
      if (result) onSwept?.(result);
    } catch (error) {
      console.error(JSON.stringify({ level: "error", msg: "sweep failed", error: String(error) }));
    } finally {
      running = false;
    }
  }, intervalSeconds * 1000);
  return () => clearInterval(timer);
}
