// The notification sender: one process at a time (a lease row) claims due rows, checks them again, and sends them politely.
import { sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { at, type Db, type RawTimestamp, rows, toDate, toDateOrNull } from "../../db/client";
import { type Language, messages, type NotificationKindValue } from "../../db/schema";
import type { Metric } from "../../kernel/metrics";
import { log } from "../../log";
import type { Presence } from "../../realtime/presence";
import { messageVisibleSql } from "../rules";
import { type BotApi, type BotFailure, describeFailure } from "../telegram/bot-api";
import { languageOf } from "../telegram/texts";
import { compose } from "./compose";
import { EXPIRING_WITHIN_MS, kindOnSql, MESSAGES_WINDOW_MS } from "./outbox";

/** How long a sender's lease lasts; it renews it every tick, and a stopped sender gives it up. */
export const LEASE_MS = 15_000;
/** A row claimed this long ago and still "sending" was left by a sender that died during its call. */
export const STALE_SENDING_MS = 60_000;
/** Retries stop this long after the event; the row is then failed. */
export const GIVE_UP_MS = 24 * 3600_000;
/** One chat gets at most one message per this long. */
export const PER_CHAT_MS = 1000;
const FIRST_RETRY_MS = 5_000;
const MAX_RETRY_MS = 3600_000;
/** How often each process reads the pending count and the oldest due row for /metrics. */
const GAUGE_EVERY_MS = 5_000;

/** The wait before retry number `attempt` (1, 2, …): 5 s doubling up to an hour. */
export const retryDelayMs = (attempt: number): number =>
  Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempt - 1));

export interface SenderOptions {
  readonly db: Db;
  readonly bot: BotApi;
  readonly presence: Presence;
  /** PUBLIC_URL: the buttons open the Mini App there. */
  readonly publicUrl: string;
  /** TELEGRAM_MAX_PER_SECOND. */
  readonly maxPerSecond: number;
  /** The sender's clock (tests move it instead of waiting). */
  readonly clock?: () => Date;
  /** This process's name in the lease row. */
  readonly holder?: string;
}

/** What one tick did. */
export interface TickResult {
  leader: boolean;
  claimed: number;
  sent: number;
  skipped: number;
  postponed: number;
  retried: number;
  dropped: number;
  failed: number;
  /** Until when a 429 stops all sending (null: not paused). */
  pausedUntil: Date | null;
}

export interface NotificationSender {
  /** One round: take or keep the lease, claim what is due and allowed, send it, record each outcome. */
  tick(): Promise<TickResult>;
  /** Ticks on real time until stop. */
  start(): void;
  /** Stops ticking, waits for the calls under way and gives the lease up. */
  stop(): Promise<void>;
  readonly metrics: readonly Metric[];
}

interface Claimed {
  id: number;
  userId: number;
  matchId: number;
  kind: NotificationKindValue;
  level: number;
  createdAt: RawTimestamp;
  attempts: number;
}

interface Context {
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

type Decision =
  | { do: "send"; chatId: number; language: Language; unread: number }
  | { do: "skip"; reason: string }
  | { do: "drop"; reason: string }
  | { do: "postpone"; until: Date };

const msg = alias(messages, "msg");
const idArray = (ids: readonly number[]) => `{${ids.join(",")}}`;

export function createNotificationSender(options: SenderOptions): NotificationSender {
  const { db, bot, presence, publicUrl, maxPerSecond } = options;
  const clock = options.clock ?? (() => new Date());
  const holder = options.holder ?? `${process.pid}:${crypto.randomUUID()}`;
  // Sends started in the last second (the overall limit) and each user's last one (the per-chat limit).
  const recent: number[] = [];
  const lastByUser = new Map<number, number>();
  const counts = { sent: 0, failed: 0, dropped: 0, skipped: 0, errors: 0 };
  const gauges = { pending: 0, oldestDueSeconds: 0, readAt: Number.NEGATIVE_INFINITY };
  let leading = false;

  /** Takes the lease, or keeps it; false while another process holds one that has not run out. */
  async function lease(now: Date): Promise<{ leader: boolean; pausedUntil: Date | null }> {
    const [row] = await rows<{ pausedUntil: RawTimestamp | null }>(
      db,
      sql`INSERT INTO notification_sender (id, holder, lease_until) VALUES (1, ${holder}, ${at(new Date(now.getTime() + LEASE_MS))})
          ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
          WHERE notification_sender.holder = excluded.holder OR notification_sender.lease_until <= ${at(now)}
          RETURNING paused_until AS "pausedUntil"`,
    );
    leading = row !== undefined;
    const pausedUntil = toDateOrNull(row?.pausedUntil ?? null);
    return { leader: leading, pausedUntil: pausedUntil && pausedUntil > now ? pausedUntil : null };
  }

  /**
   * A row still "sending" long after its claim was left by a sender that died during its call: that
   * call may have reached Telegram, so it is given up, never sent again (at most once).
   */
  async function giveUpStale(now: Date): Promise<void> {
    const given = await rows<{ id: number }>(
      db,
      sql`UPDATE notifications SET status = 'failed', finished_at = ${at(now)},
            reason = 'outcome unknown: the sender stopped during its call'
          WHERE status = 'sending' AND not_before <= ${at(new Date(now.getTime() - STALE_SENDING_MS))} RETURNING id`,
    );
    counts.failed += given.length;
  }

  /**
   * Claims up to `limit` due rows, the oldest first, one per user, none for a user sent to within the
   * last second: they become "sending" (not_before = the claim time) in this one statement, so no
   * other sender can take them, and a crash leaves them for giveUpStale.
   */
  function claim(now: Date, limit: number, excluded: readonly number[]): Promise<Claimed[]> {
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
  }

  /** What each claimed row needs to be decided on now: the chat, the settings, the match, the unread count. */
  async function contextOf(now: Date, ids: readonly number[]): Promise<Map<number, Context>> {
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
  async function decide(row: Claimed, context: Context | undefined, now: Date): Promise<Decision> {
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

  const finish = (id: number, status: string, reason: string | null) =>
    db.execute(
      sql`UPDATE notifications SET status = ${status}, finished_at = ${at(clock())}, reason = ${reason}
          WHERE id = ${id} AND status = 'sending'`,
    );

  const backToPending = (id: number, notBefore: Date, reason: string | null, countAttempt: boolean) =>
    db.execute(
      sql`UPDATE notifications SET status = 'pending', not_before = ${at(notBefore)}, reason = ${reason},
            attempts = attempts + ${countAttempt ? 1 : 0}
          WHERE id = ${id} AND status = 'sending'`,
    );

  /** A 403: the user blocked the bot; their chat is unreachable and nothing pending for them is kept. */
  async function blocked(row: Claimed, chatId: number): Promise<void> {
    const now = clock();
    await db.transaction(async (tx) => {
      await tx.execute(
        sql`UPDATE telegram_chats SET reachable = false, updated_at = ${at(now)} WHERE chat_id = ${chatId}`,
      );
      const dropped = await rows<{ id: number }>(
        tx as unknown as Db,
        sql`UPDATE notifications SET status = 'dropped', finished_at = ${at(now)}, reason = 'blocked the bot'
            WHERE user_id = ${row.userId} AND (status = 'pending' OR (id = ${row.id} AND status = 'sending'))
            RETURNING id`,
      );
      counts.dropped += dropped.length;
    });
  }

  /** A 429: no process sends until retry_after has passed; the row waits for that too. */
  async function rateLimited(row: Claimed, seconds: number): Promise<Date> {
    const until = new Date(clock().getTime() + seconds * 1000);
    await db.execute(
      sql`UPDATE notification_sender SET paused_until = greatest(coalesce(paused_until, ${at(until)}), ${at(until)}) WHERE id = 1`,
    );
    await backToPending(row.id, until, "429: flood control", false);
    return until;
  }

  /** Any other failure: again after a backoff, until 24 hours after the event. */
  async function failedAttempt(row: Claimed, failure: BotFailure): Promise<"retried" | "failed"> {
    const attempt = row.attempts + 1;
    const next = new Date(clock().getTime() + retryDelayMs(attempt));
    const why = describeFailure(failure).slice(0, 500);
    counts.errors++;
    if (next.getTime() > toDate(row.createdAt).getTime() + GIVE_UP_MS) {
      await finish(row.id, "failed", why);
      counts.failed++;
      return "failed";
    }
    await backToPending(row.id, next, why, true);
    return "retried";
  }

  async function handle(row: Claimed, context: Context | undefined, now: Date, result: TickResult): Promise<void> {
    const decision = await decide(row, context, now);
    if (decision.do === "skip" || decision.do === "drop") {
      await finish(row.id, decision.do === "skip" ? "skipped" : "dropped", decision.reason);
      result[decision.do === "skip" ? "skipped" : "dropped"]++;
      counts[decision.do === "skip" ? "skipped" : "dropped"]++;
      return;
    }
    if (decision.do === "postpone") {
      await backToPending(row.id, decision.until, null, false);
      result.postponed++;
      return;
    }
    recent.push(now.getTime());
    lastByUser.set(row.userId, now.getTime());
    const message = compose(publicUrl, decision.language, { ...row, unread: decision.unread });
    const outcome = await bot.call("sendMessage", {
      chat_id: decision.chatId,
      text: message.text,
      reply_markup: message.replyMarkup,
    });
    switch (outcome.kind) {
      case "ok":
        // Marked right after the 200; a crash between the two leaves the row "sending", never resent.
        await finish(row.id, "sent", null);
        result.sent++;
        counts.sent++;
        return;
      case "blocked":
        await blocked(row, decision.chatId);
        result.dropped++;
        return;
      case "rate_limited":
        result.pausedUntil = await rateLimited(row, outcome.retryAfterSeconds);
        result.postponed++;
        return;
      default:
        result[await failedAttempt(row, outcome)]++;
    }
  }

  async function readGauges(now: Date): Promise<void> {
    if (now.getTime() - gauges.readAt < GAUGE_EVERY_MS) return;
    gauges.readAt = now.getTime();
    const [row] = await rows<{ pending: number; oldest: RawTimestamp | null }>(
      db,
      sql`SELECT (SELECT count(*)::int FROM notifications WHERE status = 'pending')
               + (SELECT count(*)::int FROM notifications WHERE status = 'sending') AS pending,
             (SELECT min(not_before) FROM notifications WHERE status = 'pending' AND not_before <= ${at(now)}) AS oldest`,
    );
    gauges.pending = row?.pending ?? 0;
    const oldest = toDateOrNull(row?.oldest ?? null);
    gauges.oldestDueSeconds = oldest ? Math.max(0, (now.getTime() - oldest.getTime()) / 1000) : 0;
  }

  async function tick(): Promise<TickResult> {
    const now = clock();
    const result: TickResult = {
      leader: false,
      claimed: 0,
      sent: 0,
      skipped: 0,
      postponed: 0,
      retried: 0,
      dropped: 0,
      failed: 0,
      pausedUntil: null,
    };
    await readGauges(now);
    const { leader, pausedUntil } = await lease(now);
    result.leader = leader;
    result.pausedUntil = pausedUntil;
    if (!leader || pausedUntil) return result;
    await giveUpStale(now);
    const second = now.getTime() - 1000;
    while (recent.length > 0 && recent[0]! <= second) recent.shift();
    for (const [user, sentAt] of lastByUser) if (sentAt <= now.getTime() - PER_CHAT_MS) lastByUser.delete(user);
    const room = maxPerSecond - recent.length;
    if (room <= 0) return result;
    const claimed = await claim(now, room, [...lastByUser.keys()]);
    result.claimed = claimed.length;
    if (claimed.length === 0) return result;
    const contexts = await contextOf(
      now,
      claimed.map((row) => row.id),
    );
    await Promise.all(claimed.map((row) => handle(row, contexts.get(Number(row.id)), now, result)));
    return result;
  }

  let running: Promise<void> | null = null;
  let stopped = false;
  let wake: (() => void) | null = null;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function loop(): Promise<void> {
    while (!stopped) {
      let delay = 2000;
      try {
        const result = await tick();
        // The leader looks again soon (at once while there is more to send); the others only for the lease.
        delay = result.leader ? 250 : 2000;
        if (result.pausedUntil) delay = Math.max(delay, result.pausedUntil.getTime() - clock().getTime());
        else if (result.claimed > 0) delay = 50;
      } catch (error) {
        // drizzle wraps the driver's error: its cause says what PostgreSQL refused.
        log("error", "notification sender: tick failed", { error: String((error as Error).cause ?? error) });
      }
      if (!stopped) await pause(Math.min(delay, LEASE_MS / 3));
    }
  }

  return {
    tick,
    start() {
      stopped = false;
      running ??= loop();
    },
    async stop() {
      stopped = true;
      wake?.();
      await running;
      running = null;
      if (leading) {
        // The next process (a restart, another worker) takes over at once instead of after the lease.
        await db
          .execute(sql`UPDATE notification_sender SET lease_until = '-infinity' WHERE id = 1 AND holder = ${holder}`)
          .catch(() => {});
        leading = false;
      }
    },
    metrics: [
      {
        name: "mystery_match_notifications_sent_total",
        type: "counter",
        help: "Notifications this process sent (Telegram answered 200).",
        value: () => counts.sent,
      },
      {
        name: "mystery_match_notifications_failed_total",
        type: "counter",
        help: "Notifications this process gave up: 24 hours of failures, or a crashed sender's call of unknown outcome.",
        value: () => counts.failed,
      },
      {
        name: "mystery_match_notifications_send_errors_total",
        type: "counter",
        help: "sendMessage calls that failed and are retried (not 429 or 403).",
        value: () => counts.errors,
      },
      {
        name: "mystery_match_notifications_dropped_total",
        type: "counter",
        help: "Notifications dropped because the user blocked the bot (403) or has no reachable chat.",
        value: () => counts.dropped,
      },
      {
        name: "mystery_match_notifications_skipped_total",
        type: "counter",
        help: "Notifications not sent on purpose: the user was online, had read everything, turned the kind off, or the match ended.",
        value: () => counts.skipped,
      },
      {
        name: "mystery_match_notifications_pending",
        type: "gauge",
        help: "Notifications waiting to be sent (read from the database every 5 s).",
        value: () => gauges.pending,
      },
      {
        name: "mystery_match_notifications_oldest_pending_seconds",
        type: "gauge",
        help: "How long the longest-waiting notification has been due (0: none is due).",
        value: () => gauges.oldestDueSeconds,
      },
    ],
  };
}
