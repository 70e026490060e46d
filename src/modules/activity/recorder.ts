// Last activity per user (any authenticated request, any open socket), coalesced in memory and written in batches.
import { sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { log } from "../../log";
import { ACTIVITY_WRITE_MS } from "../rules";

/** How often the batch is written. A user's `last_active_at` lags at most ACTIVITY_WRITE_MS + this. */
export const ACTIVITY_FLUSH_MS = 15_000;

// Rows per UPDATE statement.
const BATCH = 5_000;

/**
 * Requests call `seen` (the auth macro does, once the credential checks out), sockets `socketOpened`
 * and `socketClosed`; nothing is written then. `flush` (every ACTIVITY_FLUSH_MS once `start`ed) writes
 * one UPDATE per BATCH users: the users seen since the last flush whom this process has not written in
 * the last ACTIVITY_WRITE_MS, plus everyone holding a socket here. The UPDATE itself skips a row another
 * process wrote less than ACTIVITY_WRITE_MS before, so each user costs at most about one row write a
 * minute, whatever their number of requests or processes.
 */
export class ActivityRecorder {
  /** Users seen since the last flush, with when. */
  private readonly pending = new Map<number, number>();
  /** When this process last wrote each user (entries older than ACTIVITY_WRITE_MS are dropped). */
  private readonly written = new Map<number, number>();
  /** Open sockets per user on this process. */
  private readonly sockets = new Map<number, number>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly db: Db,
    private readonly clock: () => number = Date.now,
  ) {}

  seen(userId: number): void {
    const now = this.clock();
    const last = this.written.get(userId);
    if (last !== undefined && now - last < ACTIVITY_WRITE_MS) return;
    this.pending.set(userId, now);
  }

  socketOpened(userId: number): void {
    this.sockets.set(userId, (this.sockets.get(userId) ?? 0) + 1);
    this.seen(userId);
  }

  socketClosed(userId: number): void {
    const left = (this.sockets.get(userId) ?? 0) - 1;
    if (left > 0) this.sockets.set(userId, left);
    else this.sockets.delete(userId);
    this.seen(userId);
  }

  /** Writes what is pending; gives the number of users sent to the database. */
  async flush(): Promise<number> {
    const now = this.clock();
    for (const userId of this.sockets.keys()) this.seen(userId);
    for (const [userId, at] of this.written) if (now - at >= ACTIVITY_WRITE_MS) this.written.delete(userId);
    const batch = [...this.pending];
    this.pending.clear();
    for (const [userId] of batch) this.written.set(userId, now);
    for (let start = 0; start < batch.length; start += BATCH) {
      const part = batch.slice(start, start + BATCH);
      // Array literals of plain numbers and ISO timestamps: nothing in them needs quoting.
      const ids = `{${part.map(([userId]) => userId).join(",")}}`;
      const times = `{${part.map(([, at]) => new Date(at).toISOString()).join(",")}}`;
      await this.db.execute(
        sql`UPDATE users AS u SET last_active_at = v.seen_at
            FROM unnest(${ids}::bigint[], ${times}::timestamptz[]) AS v(id, seen_at)
            WHERE u.id = v.id
              AND (u.last_active_at IS NULL OR u.last_active_at <= v.seen_at - ${ACTIVITY_WRITE_MS}::integer * interval '1 millisecond')`,
      );
    }
    return batch.length;
  }

  /** Flushes every ACTIVITY_FLUSH_MS; the returned function stops that and flushes one last time. */
  start(): () => Promise<void> {
    this.timer = setInterval(() => {
      this.flush().catch((error) => log("error", "activity flush failed", { error: String(error) }));
    }, ACTIVITY_FLUSH_MS);
    return async () => {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      await this.flush().catch((error) => log("error", "activity flush failed", { error: String(error) }));
    };
  }
}
