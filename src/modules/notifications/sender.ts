// The notification sender: one process at a time (a lease row) claims due rows, checks them again, and sends them politely.
import { type Db, toDate } from "../../db/client";
import type { Metric } from "../../kernel/metrics";
import { log } from "../../log";
import type { Presence } from "../../realtime/presence";
import { type BotApi, type BotFailure, describeFailure } from "../telegram/bot-api";
import { compose } from "./compose";
import { type Claimed, type Context, contextOf, decide } from "./decision";
import { LEASE_MS, notificationQueue } from "./queue";

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

  const queue = notificationQueue(db, holder);

  /** Any other failure: again after a backoff, until 24 hours after the event. */
  async function failedAttempt(row: Claimed, failure: BotFailure): Promise<"retried" | "failed"> {
    const attempt = row.attempts + 1;
    const now = clock();
    const next = new Date(now.getTime() + retryDelayMs(attempt));
    const why = describeFailure(failure).slice(0, 500);
    counts.errors++;
    if (next.getTime() > toDate(row.createdAt).getTime() + GIVE_UP_MS) {
      await queue.finish(row.id, "failed", why, now);
      counts.failed++;
      return "failed";
    }
    await queue.backToPending(row.id, next, why, true);
    return "retried";
  }

  async function handle(row: Claimed, context: Context | undefined, now: Date, result: TickResult): Promise<void> {
    const decision = await decide(row, context, now, presence);
    if (decision.do === "skip" || decision.do === "drop") {
      await queue.finish(row.id, decision.do === "skip" ? "skipped" : "dropped", decision.reason, clock());
      result[decision.do === "skip" ? "skipped" : "dropped"]++;
      counts[decision.do === "skip" ? "skipped" : "dropped"]++;
      return;
    }
    if (decision.do === "postpone") {
      await queue.backToPending(row.id, decision.until, null, false);
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
        await queue.finish(row.id, "sent", null, clock());
        result.sent++;
        counts.sent++;
        return;
      case "blocked":
        // A 403: the user blocked the bot.
        counts.dropped += await queue.blockedChat(row, decision.chatId, clock());
        result.dropped++;
        return;
      case "rate_limited": {
        // A 429: no process sends until retry_after has passed.
        const until = new Date(clock().getTime() + outcome.retryAfterSeconds * 1000);
        await queue.pauseAll(row, until);
        result.pausedUntil = until;
        result.postponed++;
        return;
      }
      default:
        result[await failedAttempt(row, outcome)]++;
    }
  }

  async function readGauges(now: Date): Promise<void> {
    if (now.getTime() - gauges.readAt < GAUGE_EVERY_MS) return;
    gauges.readAt = now.getTime();
    const { waiting, oldestDue } = await queue.backlog(now);
    gauges.pending = waiting;
    gauges.oldestDueSeconds = oldestDue ? Math.max(0, (now.getTime() - oldestDue.getTime()) / 1000) : 0;
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
    const { leader, pausedUntil } = await queue.lease(now);
    leading = leader;
    result.leader = leader;
    result.pausedUntil = pausedUntil;
    if (!leader || pausedUntil) return result;
    counts.failed += await queue.giveUpStale(now);
    const second = now.getTime() - 1000;
    while (recent.length > 0 && recent[0]! <= second) recent.shift();
    for (const [user, sentAt] of lastByUser) if (sentAt <= now.getTime() - PER_CHAT_MS) lastByUser.delete(user);
    const room = maxPerSecond - recent.length;
    if (room <= 0) return result;
    const claimed = await queue.claim(now, room, [...lastByUser.keys()]);
    result.claimed = claimed.length;
    if (claimed.length === 0) return result;
    const contexts = await contextOf(
      db,
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
        await queue.releaseLease().catch(() => {});
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
