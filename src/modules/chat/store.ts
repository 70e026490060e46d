// Storing sends: one statement stores a batch of messages with their counts, another a lone send (the same
// rules and expressions), and a send they left out is answered as a replay of its client_msg_id or as the rule it broke.
import { sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import {
  at,
  type Db,
  iso,
  isUniqueViolation,
  type RawTimestamp,
  rows,
  type Slots,
  statement,
  toDate,
  toDateOrNull,
} from "../../db/client";
import { matches, users } from "../../db/schema";
import { AppError } from "../../kernel/errors";
import { outboxInsertSql } from "../notifications/outbox";
import { levelSql, type Thresholds, type ThresholdsSql } from "../profiles/unlock";
import {
  banned,
  closedMatchError,
  isBanned,
  isPremium,
  type MatchCounts,
  matchNotFound,
  matchOpenSql,
  notBannedSql,
  secretChatActiveSql,
} from "../rules";

/** A message as stored, for replies and for the events published after the commit. */
export interface StoredMessage {
  id: number;
  matchId: number;
  senderId: number;
  text: string;
  /** The match's message count right after this message. */
  seq: number;
  /** The match's unlock_progress right after this message, and the level it reached (null: none). */
  progress: number;
  unlocked: number | null;
  isSecret: boolean;
  selfDestructAt: Date | null;
  createdAt: Date;
}

export interface SendResult {
  message: StoredMessage;
  /** The other participant, to address the events published after the commit. */
  partnerId: number;
  senderIsPremium: boolean;
  /** True when a retried client_msg_id returned the first message and stored nothing. */
  replayed: boolean;
}

export interface SendArgs {
  matchId: number;
  senderId: number;
  text: string;
  clientMsgId?: string;
}

type MessageRow = Omit<StoredMessage, "selfDestructAt" | "createdAt"> & {
  selfDestructAt: RawTimestamp | null;
  createdAt: RawTimestamp;
  senderPremiumUntil: RawTimestamp | null;
  partnerId: number;
};

const messageColumns = sql.raw(
  `id, match_id AS "matchId", sender_id AS "senderId", text, seq, unlock_progress AS progress, unlocked,
   is_secret AS "isSecret", self_destruct_at AS "selfDestructAt", created_at AS "createdAt"`,
);

function toResult(row: MessageRow, now: Date, replayed: boolean): SendResult {
  return {
    message: {
      id: row.id,
      matchId: row.matchId,
      senderId: row.senderId,
      text: row.text,
      seq: row.seq,
      progress: row.progress,
      unlocked: row.unlocked,
      isSecret: row.isSecret,
      selfDestructAt: toDateOrNull(row.selfDestructAt),
      createdAt: toDate(row.createdAt),
    },
    partnerId: row.partnerId,
    senderIsPremium: isPremium(toDateOrNull(row.senderPremiumUntil), now),
    replayed,
  };
}

// unlock_progress after a message and before it (the sender's side one message fewer), from its numbered counts.
const progressAfter = sql.raw("LEAST(n.seq, 2 * LEAST(n.a_after, n.b_after))");
const progressBefore = sql.raw("LEAST(n.seq - 1, 2 * LEAST(n.a_after - n.by_a, n.b_after - (1 - n.by_a)))");

/** The level a message reached (its progress crossed a threshold), else null: kept on the row for a replay. */
const unlockedSql = (thresholds: ThresholdsSql) =>
  sql`CASE WHEN ${levelSql(sql`progress`, thresholds)} > ${levelSql(sql`progress_before`, thresholds)}
           THEN ${levelSql(sql`progress`, thresholds)} END`;

/** The unlock thresholds as a statement's values (they come from config), and their slots. */
type ThresholdValues = { t1: number; t2: number; t3: number; t4: number };
const thresholdValues = ([t1, t2, t3, t4]: Thresholds): ThresholdValues => ({ t1, t2, t3, t4 });
const thresholdSlots = (p: Slots<ThresholdValues>): ThresholdsSql => [p.t1, p.t2, p.t3, p.t4];

/**
 * What a stored message `i` tells the partner: new messages (coalesced per match: outbox.ts), and the
 * level it reached, if any. Joined laterally; a kind whose level is null is left out.
 */
const notifiedKinds = sql.raw(`(VALUES ('messages'::text, 0::smallint), ('unlocks', i.unlocked)) AS k (kind, level)`);

const m = alias(matches, "m");
const u = alias(users, "u");

/**
 * The statement that stores a batch of sends, in one transaction. The matches are locked in id order (no
 * two batches can deadlock), each is bumped by its number of messages (in all and per side), and
 * each message takes the next counts of its match in arrival order, with the unlock_progress after
 * it and the level it reached (both kept for a replay's reply). Left out: senders who are banned or not in the match,
 * client_msg_ids already taken (by a stored message, or one that self-destructed), matches that are not open (checked under the lock). During a
 * secret chat a message is stored secret, to be deleted when the secret chat ends. The partners'
 * notifications (new messages, a level reached: notifications/outbox.ts) are written by the same
 * statement. Returns the stored results by their index in `sends`.
 */
const storeSendsStatement = statement<{ input: string; now: string } & ThresholdValues, MessageRow & { ord: number }>(
  (p) =>
    sql`WITH input AS (
          SELECT * FROM jsonb_to_recordset(${p.input}::jsonb)
            AS i(ord int, match_id bigint, sender_id bigint, text text, client_msg_id text)
        ), allowed AS (
          SELECT i.*, (i.sender_id = m.user_a)::int AS by_a FROM input i
          JOIN users u ON u.id = i.sender_id AND ${notBannedSql(u, p.now)}
          JOIN matches m ON m.id = i.match_id AND i.sender_id IN (m.user_a, m.user_b)
          WHERE i.client_msg_id IS NULL OR NOT (
            EXISTS (
              SELECT 1 FROM messages x
              WHERE x.match_id = i.match_id AND x.sender_id = i.sender_id AND x.client_msg_id = i.client_msg_id)
            OR EXISTS (
              SELECT 1 FROM spent_client_msg_ids s
              WHERE s.match_id = i.match_id AND s.sender_id = i.sender_id AND s.client_msg_id = i.client_msg_id)
          )
        ), locked AS (
          SELECT id FROM matches WHERE id IN (SELECT match_id FROM allowed) ORDER BY id FOR UPDATE
        ), bumped AS (
          UPDATE matches m SET message_count = m.message_count + n.count, messages_a = m.messages_a + n.count_a,
                 messages_b = m.messages_b + n.count_b, last_message_at = ${at(p.now)}
          FROM (SELECT match_id, count(*)::int AS count, sum(by_a)::int AS count_a, count(*)::int - sum(by_a)::int AS count_b
                FROM allowed GROUP BY match_id) n, locked l
          WHERE m.id = n.match_id AND l.id = m.id AND ${matchOpenSql(m, p.now)}
          RETURNING m.id, m.user_a, m.user_b, m.message_count - n.count AS count_before,
                    m.messages_a - n.count_a AS a_before, m.messages_b - n.count_b AS b_before,
                    CASE WHEN ${secretChatActiveSql(m, p.now)} THEN m.secret_chat_expires_at END AS self_destruct_at
        ), numbered AS (
          SELECT a.*, b.self_destruct_at,
                 b.count_before + row_number() OVER w AS seq,
                 b.a_before + sum(a.by_a) OVER w AS a_after,
                 b.b_before + row_number() OVER w - sum(a.by_a) OVER w AS b_after,
                 CASE WHEN a.by_a = 1 THEN b.user_b ELSE b.user_a END AS partner_id
          FROM allowed a JOIN bumped b ON b.id = a.match_id
          WINDOW w AS (PARTITION BY a.match_id ORDER BY a.ord)
        ), progressed AS (
          SELECT n.*, ${progressAfter} AS progress, ${progressBefore} AS progress_before FROM numbered n
        ), inserted AS (
          INSERT INTO messages (match_id, sender_id, text, seq, unlock_progress, unlocked, client_msg_id, is_secret,
                                self_destruct_at, created_at)
          SELECT match_id, sender_id, text, seq, progress, ${unlockedSql(thresholdSlots(p))},
                 client_msg_id, self_destruct_at IS NOT NULL, self_destruct_at, ${at(p.now)}
          FROM progressed ORDER BY ord
          RETURNING ${messageColumns}
        ), notified AS (
          ${outboxInsertSql(
            sql`SELECT DISTINCT n.partner_id, i."matchId", k.kind, k.level
                FROM inserted i JOIN numbered n ON n.match_id = i."matchId" AND n.seq = i.seq
                CROSS JOIN LATERAL ${notifiedKinds} WHERE k.level IS NOT NULL`,
            p.now,
          )}
        )
        SELECT inserted.*, n.ord, n.partner_id AS "partnerId", u.premium_until AS "senderPremiumUntil"
        FROM inserted
        JOIN numbered n ON n.match_id = inserted."matchId" AND n.seq = inserted.seq
        JOIN users u ON u.id = inserted."senderId"`,
);

export async function storeSends(
  db: Db,
  thresholds: Thresholds,
  sends: readonly SendArgs[],
  now: Date,
): Promise<Map<number, SendResult>> {
  const input = JSON.stringify(
    sends.map((send, ord) => ({
      ord,
      match_id: send.matchId,
      sender_id: send.senderId,
      text: send.text,
      client_msg_id: send.clientMsgId ?? null,
    })),
  );
  const stored = await storeSendsStatement(db, { input, now: iso(now), ...thresholdValues(thresholds) });
  return new Map(stored.map((row) => [row.ord, toResult(row, now, false)]));
}

/**
 * One send, with the batch's rules and expressions in a statement of its own: the batch form
 * (jsonb input, the ordered locks, the window numbering) costs a lone send about 40 % more
 * (bench/RESULTS.md). A client_msg_id already stored fails the insert's unique index (the caller
 * replays it); one that self-destructed is checked here.
 */
const storeOneStatement = statement<
  { matchId: number; senderId: number; text: string; clientMsgId: string | null; now: string } & ThresholdValues,
  MessageRow
>(
  (p) =>
    sql`WITH sender AS (
          SELECT u.premium_until FROM users u WHERE u.id = ${p.senderId} AND ${notBannedSql(u, p.now)}
        ), bumped AS (
          UPDATE matches m SET message_count = m.message_count + 1,
                 messages_a = m.messages_a + (m.user_a = ${p.senderId})::int,
                 messages_b = m.messages_b + (m.user_b = ${p.senderId})::int, last_message_at = ${at(p.now)}
          WHERE m.id = ${p.matchId} AND (m.user_a = ${p.senderId} OR m.user_b = ${p.senderId}) AND ${matchOpenSql(m, p.now)}
            AND EXISTS (SELECT 1 FROM sender)
            AND (${p.clientMsgId}::text IS NULL OR NOT EXISTS (
              SELECT 1 FROM spent_client_msg_ids s
              WHERE s.match_id = ${p.matchId} AND s.sender_id = ${p.senderId} AND s.client_msg_id = ${p.clientMsgId}))
          RETURNING m.message_count AS seq, m.messages_a AS a_after, m.messages_b AS b_after,
                    (m.user_a = ${p.senderId})::int AS by_a,
                    CASE WHEN ${secretChatActiveSql(m, p.now)} THEN m.secret_chat_expires_at END AS self_destruct_at,
                    CASE WHEN m.user_a = ${p.senderId} THEN m.user_b ELSE m.user_a END AS partner_id
        ), progressed AS (
          SELECT n.*, ${progressAfter} AS progress, ${progressBefore} AS progress_before FROM bumped n
        ), inserted AS (
          INSERT INTO messages (match_id, sender_id, text, seq, unlock_progress, unlocked, client_msg_id, is_secret,
                                self_destruct_at, created_at)
          SELECT ${p.matchId}, ${p.senderId}, ${p.text}, seq, progress, ${unlockedSql(thresholdSlots(p))}, ${p.clientMsgId},
                 self_destruct_at IS NOT NULL, self_destruct_at, ${at(p.now)}
          FROM progressed
          RETURNING ${messageColumns}
        ), notified AS (
          ${outboxInsertSql(
            sql`SELECT b.partner_id, i."matchId", k.kind, k.level
                FROM bumped b CROSS JOIN inserted i CROSS JOIN LATERAL ${notifiedKinds} WHERE k.level IS NOT NULL`,
            p.now,
          )}
        )
        SELECT inserted.*, (SELECT partner_id FROM bumped) AS "partnerId",
               (SELECT premium_until FROM sender) AS "senderPremiumUntil"
        FROM inserted`,
);

async function storeOne(db: Db, thresholds: Thresholds, send: SendArgs, now: Date): Promise<SendResult | undefined> {
  const [row] = await storeOneStatement(db, {
    matchId: send.matchId,
    senderId: send.senderId,
    text: send.text,
    clientMsgId: send.clientMsgId ?? null,
    now: iso(now),
    ...thresholdValues(thresholds),
  });
  return row && toResult(row, now, false);
}

/**
 * The reply a client_msg_id this sender already used in this match was first given (a replay), else
 * null. Its message is stored, or self-destructed (then only its id and count are left, which is all
 * a replayed reply carries; its text is gone for good).
 */
export async function replayOf(db: Db, args: SendArgs, now: Date): Promise<SendResult | null> {
  if (!args.clientMsgId) return null;
  const taken = sql`match_id = ${args.matchId} AND sender_id = ${args.senderId} AND client_msg_id = ${args.clientMsgId}`;
  const [first] = await rows<MessageRow>(
    db,
    sql`SELECT first.*, (SELECT premium_until FROM users WHERE id = ${args.senderId}) AS "senderPremiumUntil",
          (SELECT CASE WHEN m.user_a = ${args.senderId} THEN m.user_b ELSE m.user_a END
             FROM matches m WHERE m.id = ${args.matchId}) AS "partnerId"
        FROM (
          SELECT ${messageColumns} FROM messages WHERE ${taken}
          UNION ALL
          SELECT message_id, match_id, sender_id, '', seq, unlock_progress, unlocked, true, NULL, created_at
          FROM spent_client_msg_ids WHERE ${taken}
        ) AS first
        LIMIT 1`,
  );
  return first ? toResult(first, now, true) : null;
}

/**
 * The counters of the match a send goes to, as they stand now: null when the store would refuse the
 * send anyway (the sender is banned or not in the match, or the match is not open), so that refusal
 * is the one reported. Counters only grow, so a rule that loosens as they grow may be checked on them
 * before storing: by the time the message is stored, they can only have moved further.
 */
export async function countsBeforeSend(
  db: Db,
  args: Pick<SendArgs, "matchId" | "senderId">,
  now: Date,
): Promise<MatchCounts | null> {
  const [counts] = await rows<MatchCounts>(
    db,
    sql`SELECT m.message_count AS "messageCount", m.messages_a AS "messagesA", m.messages_b AS "messagesB"
        FROM matches m JOIN users u ON u.id = ${args.senderId} AND ${notBannedSql(u, now)}
        WHERE m.id = ${args.matchId} AND ${args.senderId} IN (m.user_a, m.user_b) AND ${matchOpenSql(m, now)}`,
  );
  return counts ?? null;
}

/** Says why a send stored nothing: the first rule the sender or the match breaks. */
async function refusal(db: Db, args: SendArgs, now: Date): Promise<AppError | null> {
  const [state] = await rows<{
    banUntil: RawTimestamp | null;
    participant: boolean | null;
    isActive: boolean | null;
    endReason: string | null;
    expiresAt: RawTimestamp | null;
  }>(
    db,
    sql`SELECT (SELECT ban_until FROM users WHERE id = ${args.senderId}) AS "banUntil",
          m.user_a = ${args.senderId} OR m.user_b = ${args.senderId} AS participant,
          m.is_active AS "isActive", m.end_reason AS "endReason", m.expires_at AS "expiresAt"
        FROM (SELECT 1) AS one LEFT JOIN matches m ON m.id = ${args.matchId}`,
  );
  if (isBanned(toDateOrNull(state?.banUntil ?? null), now)) return banned();
  if (!state?.participant) return matchNotFound();
  return closedMatchError(
    { isActive: state.isActive!, endReason: state.endReason, expiresAt: toDate(state.expiresAt!) },
    now,
  );
}

// A send that raced a change of the match (an extension, a lifted ban) is tried once more.
const SEND_ATTEMPTS = 2;

/**
 * Stores one message and returns it only after it committed, so the caller may
 * publish it at once. With a client_msg_id, a retry returns the first message and stores nothing new.
 */
export async function sendMessage(
  db: Db,
  thresholds: Thresholds,
  args: SendArgs,
  now = new Date(),
): Promise<SendResult> {
  for (let attempt = 0; attempt < SEND_ATTEMPTS; attempt++) {
    let stored: SendResult | undefined;
    try {
      stored = await storeOne(db, thresholds, args, now);
    } catch (error) {
      // Two sends with one client_msg_id raced: the loser's whole statement rolled back.
      if (!(args.clientMsgId && isUniqueViolation(error))) throw error;
    }
    if (stored) return stored;
    const replay = await replayOf(db, args, now);
    if (replay) return replay;
    const reason = await refusal(db, args, now);
    if (reason) throw reason;
  }
  throw new AppError(409, "conflict", "The match changed while sending; please retry");
}
