// Group commit for sends: messages that arrive while earlier writes are running are stored together.
import { sql } from "drizzle-orm";
import { at, type Db, rows } from "../../db/client";
import { type MessageRow, messageColumns, type SendArgs, type SendResult, sendMessage, toResult } from "./service";

export interface MessageWriter {
  /** Stores one message like `sendMessage` (same checks, errors and replays); resolves after its commit. */
  send(args: SendArgs, now?: Date): Promise<SendResult>;
  /** What batching did so far, for /metrics. */
  counts(): BatchCounts;
}

export interface BatchCounts {
  /** Statements that stored several messages at once. */
  readonly batches: number;
  /** Messages those statements stored. */
  readonly batchedMessages: number;
}

interface Pending {
  args: SendArgs;
  now: Date;
  resolve: (result: SendResult) => void;
  reject: (error: unknown) => void;
}

/** Messages one statement stores at most. */
const MAX_BATCH = 256;

/**
 * A writer with at most `maxWrites` statements running at once. Sends are queued and written as
 * soon as a slot is free: a lone send through `sendMessage` itself, several (those made in one turn
 * of the event loop, or while every slot was busy) by one statement: one round trip, one commit.
 * So an idle server adds no delay, and a busy one spends its connections on fewer, larger writes.
 *
 * A batch stores only messages that certainly pass every rule; anything it leaves out (a refusal,
 * a retried client_msg_id, a match that changed meanwhile), and every message of a batch that
 * failed, is sent again alone, so its reply or error is exactly `sendMessage`'s.
 */
export function createMessageWriter(db: Db, maxWrites: number): MessageWriter {
  const queue: Pending[] = [];
  let running = 0;
  let batches = 0;
  let batchedMessages = 0;

  const alone = (item: Pending) => sendMessage(db, item.args, item.now).then(item.resolve, item.reject);

  async function write(batch: Pending[]): Promise<void> {
    if (batch.length === 1) return alone(batch[0]!);
    // One clock for the whole statement: the newest message's.
    const now = batch.at(-1)!.now;
    let stored: Map<number, MessageRow>;
    try {
      stored = await insertBatch(db, batch, now);
    } catch {
      stored = new Map();
    }
    if (stored.size > 0) {
      batches++;
      batchedMessages += stored.size;
    }
    await Promise.all(
      batch.map((item, index) => {
        const row = stored.get(index);
        return row ? item.resolve(toResult(row, now, false)) : alone(item);
      }),
    );
  }

  function drain(): void {
    while (running < maxWrites && queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH);
      running++;
      write(batch).finally(() => {
        running--;
        drain();
      });
    }
  }

  return {
    send(args, now = new Date()) {
      return new Promise<SendResult>((resolve, reject) => {
        queue.push({ args, now, resolve, reject });
        // Sends arriving in the same turn of the event loop (one socket read, say) can go together.
        if (queue.length === 1) queueMicrotask(drain);
      });
    },
    counts: () => ({ batches, batchedMessages }),
  };
}

/**
 * One statement for many messages, `sendMessage`'s insert generalised. The matches are locked in
 * id order (no two batches can deadlock), each is bumped by its number of messages, and each
 * message takes the next count of its match in arrival order. Left out: senders who are banned or
 * not in the match, client_msg_ids already stored, matches no longer active (re-checked under the
 * lock). Returns the stored rows by their index in `batch`.
 */
async function insertBatch(db: Db, batch: Pending[], now: Date): Promise<Map<number, MessageRow>> {
  const input = JSON.stringify(
    batch.map((item, ord) => ({
      ord,
      match_id: item.args.matchId,
      sender_id: item.args.senderId,
      text: item.args.text,
      client_msg_id: item.args.clientMsgId ?? null,
    })),
  );
  const stored = await rows<MessageRow & { ord: number }>(
    db,
    sql`WITH input AS (
          SELECT * FROM jsonb_to_recordset(${input}::jsonb)
            AS i(ord int, match_id bigint, sender_id bigint, text text, client_msg_id text)
        ), allowed AS (
          SELECT i.* FROM input i
          JOIN users u ON u.id = i.sender_id AND (u.ban_until IS NULL OR u.ban_until <= ${at(now)})
          JOIN matches m ON m.id = i.match_id AND i.sender_id IN (m.user_a, m.user_b)
          WHERE i.client_msg_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM messages x
            WHERE x.match_id = i.match_id AND x.sender_id = i.sender_id AND x.client_msg_id = i.client_msg_id
          )
        ), locked AS (
          SELECT id FROM matches WHERE id IN (SELECT match_id FROM allowed) ORDER BY id FOR UPDATE
        ), bumped AS (
          UPDATE matches m SET message_count = m.message_count + n.count, last_message_at = ${at(now)}
          FROM (SELECT match_id, count(*)::int AS count FROM allowed GROUP BY match_id) n, locked l
          WHERE m.id = n.match_id AND l.id = m.id AND m.is_active AND m.expires_at > ${at(now)}
          RETURNING m.id, m.message_count - n.count AS before, m.secret_chat_expires_at, m.user_a, m.user_b
        ), numbered AS (
          SELECT a.*, b.before + row_number() OVER (PARTITION BY a.match_id ORDER BY a.ord) AS seq,
                 CASE WHEN b.secret_chat_expires_at > ${at(now)} THEN b.secret_chat_expires_at END AS self_destruct_at,
                 CASE WHEN a.sender_id = b.user_a THEN b.user_b ELSE b.user_a END AS partner_id
          FROM allowed a JOIN bumped b ON b.id = a.match_id
        ), inserted AS (
          INSERT INTO messages (match_id, sender_id, text, seq, client_msg_id, is_secret, self_destruct_at, created_at)
          SELECT match_id, sender_id, text, seq, client_msg_id, self_destruct_at IS NOT NULL, self_destruct_at, ${at(now)}
          FROM numbered ORDER BY ord
          RETURNING ${messageColumns}
        )
        SELECT inserted.*, n.ord, n.partner_id AS "partnerId", u.premium_until AS "senderPremiumUntil"
        FROM inserted
        JOIN numbered n ON n.match_id = inserted."matchId" AND n.seq = inserted.seq
        JOIN users u ON u.id = inserted."senderId"`,
  );
  return new Map(stored.map((row) => [row.ord, row]));
}
