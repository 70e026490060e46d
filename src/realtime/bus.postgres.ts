// The Bus of `serve --workers` without Redis: local delivery at once, and PostgreSQL LISTEN/NOTIFY to the other workers.

import postgres from "postgres";
import type { ServerEvent } from "../kernel/events";
import { log } from "../log";
import type { Bus, LocalDelivery } from "./bus";
import { recipientOf } from "./topics";

/** NOTIFY refuses payloads of 8000 bytes and more; a frame stays below this many. */
const MAX_FRAME_BYTES = 7900;
/** UTF-16 units of a part: each is at most 6 bytes once in JSON (`\u0001`), so a part stays below the limit. */
const PART_CHARS = 1200;
/** Parts of unfinished envelopes kept at most (a sender that died mid-envelope leaves some behind). */
const MAX_PENDING_PARTS = 1000;
/** User ids per catch-up frame (at most 16 digits each): well below MAX_FRAME_BYTES. */
const CATCH_UP_IDS_PER_FRAME = 400;
/** After a NOTIFY failed, the catch-up of its users is tried again this often until it goes out. */
const RETRY_MS = 1000;

interface Envelope {
  topic: string;
  event: ServerEvent;
}

/**
 * What one NOTIFY carries: whole envelopes, one part of an envelope too big for one, or users whose
 * events a failed NOTIFY lost (their sockets catch up: LocalDelivery.catchUp).
 */
type Frame =
  | { o: string; e: Envelope[] }
  | { o: string; p: { id: number; i: number; n: number; d: string } }
  | { o: string; c: number[] };

/**
 * The workers of one server are few (one per core), so every worker listens on one channel and
 * keeps what its sockets need: a per-user channel would cost PostgreSQL as much (every listening
 * session reads the whole notification queue). The events published in one turn of the event loop go
 * out together, in one statement on one connection (so in order): as few NOTIFYs as fit their
 * payloads, an event over 7.9 KB (a long message in a script of 3-byte letters) split in parts that
 * the receivers join. Nothing is lost silently: postgres.js LISTENs again by itself after a lost
 * connection, and then every socket of this worker is closed to catch up (events in between were not
 * heard); the users of a NOTIFY that failed are sent in a catch-up frame once one goes out again.
 */
export class PostgresBus implements Bus {
  private readonly origin = crypto.randomUUID();
  /** How every frame this worker sends begins. */
  private readonly ownPrefix = `{"o":${JSON.stringify(this.origin)},`;
  private readonly sql: postgres.Sql;
  private readonly channel: string;
  private queue: Envelope[] = [];
  private flushScheduled = false;
  private nextPartId = 0;
  private readonly parts = new Map<string, string[]>();
  private unlisten: (() => Promise<void>) | null = null;
  private listened = false;
  private errorLogged = false;
  /** Users whose events a failed NOTIFY lost, until a catch-up frame for them goes out. */
  private readonly unsent = new Set<number>();
  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    databaseUrl: string,
    prefix: string,
    private readonly local: LocalDelivery,
  ) {
    this.channel = `${prefix}:events`;
    // One connection for NOTIFY (their order is this connection's), and postgres.js opens one more for LISTEN.
    this.sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  }

  async start(): Promise<void> {
    const listening = await this.sql.listen(
      this.channel,
      (payload) => this.receive(payload),
      () => this.listening(),
    );
    this.unlisten = listening.unlisten;
  }

  /** Each LISTEN that took: after the first, one on a fresh connection, which heard nothing meanwhile. */
  private listening(): void {
    if (!this.listened) {
      this.listened = true;
      return;
    }
    const sockets = this.local.catchUp(this.local.users());
    log("info", "bus: sockets closed to catch up after LISTEN was lost", { sockets });
  }

  publish(topic: string, event: ServerEvent): void {
    this.local.deliver(topic, event);
    this.queue.push({ topic, event });
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => void this.flush());
  }

  /** Every event goes to every worker already. */
  async claim(): Promise<void> {}

  release(): void {}

  private frames(envelopes: Envelope[]): string[] {
    const frames: string[] = [];
    let batch: string[] = [];
    let bytes = 0;
    const head = `${this.ownPrefix}"e":[`;
    const close = () => {
      if (batch.length > 0) frames.push(`${head}${batch.join(",")}]}`);
      batch = [];
      bytes = 0;
    };
    for (const envelope of envelopes) {
      const text = JSON.stringify(envelope);
      const size = Buffer.byteLength(text);
      if (head.length + size + 2 > MAX_FRAME_BYTES) {
        close();
        frames.push(...this.split(text));
        continue;
      }
      if (head.length + bytes + size + batch.length + 2 > MAX_FRAME_BYTES) close();
      batch.push(text);
      bytes += size;
    }
    close();
    return frames;
  }

  /** An envelope too big for one NOTIFY, in parts that fit (cut between characters, never inside one). */
  private split(text: string): string[] {
    const id = this.nextPartId++;
    const chunks: string[] = [];
    for (let i = 0; i < text.length; ) {
      let end = Math.min(text.length, i + PART_CHARS);
      // Never between the two halves of a surrogate pair.
      if (end < text.length && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end--;
      chunks.push(text.slice(i, end));
      i = end;
    }
    return chunks.map((d, i) => JSON.stringify({ o: this.origin, p: { id, i, n: chunks.length, d } } satisfies Frame));
  }

  private catchUpFrames(userIds: readonly number[]): string[] {
    const frames: string[] = [];
    for (let i = 0; i < userIds.length; i += CATCH_UP_IDS_PER_FRAME) {
      const frame: Frame = { o: this.origin, c: userIds.slice(i, i + CATCH_UP_IDS_PER_FRAME) };
      frames.push(JSON.stringify(frame));
    }
    return frames;
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const envelopes = this.queue;
    this.queue = [];
    const missed = [...this.unsent];
    if (envelopes.length === 0 && missed.length === 0) return;
    try {
      const frames = [...this.catchUpFrames(missed), ...this.frames(envelopes)];
      await this
        .sql`SELECT pg_notify(${this.channel}, frame) FROM unnest(${frames}::text[]) WITH ORDINALITY AS f(frame, n) ORDER BY n`;
      for (const userId of missed) this.unsent.delete(userId);
      this.errorLogged = false;
    } catch (error) {
      for (const { topic } of envelopes) this.unsent.add(recipientOf(topic));
      this.retryTimer ??= setTimeout(() => {
        this.retryTimer = null;
        this.scheduleFlush();
      }, RETRY_MS);
      if (this.errorLogged) return;
      this.errorLogged = true;
      log("error", "postgres notify failed", { error: String(error) });
    }
  }

  private receive(payload: string): void {
    // This worker's own frames: delivered at publish, not parsed again.
    if (payload.startsWith(this.ownPrefix)) return;
    let frame: Frame;
    try {
      frame = JSON.parse(payload) as Frame;
    } catch {
      return;
    }
    if ("e" in frame) {
      for (const envelope of frame.e) this.local.deliver(envelope.topic, envelope.event);
      return;
    }
    if ("c" in frame) return void this.local.catchUp(frame.c);
    const key = `${frame.o}:${frame.p.id}`;
    if (this.parts.size > MAX_PENDING_PARTS) this.parts.clear();
    const parts = this.parts.get(key) ?? [];
    parts[frame.p.i] = frame.p.d;
    if (parts.filter((part) => part !== undefined).length < frame.p.n) return void this.parts.set(key, parts);
    this.parts.delete(key);
    try {
      const envelope = JSON.parse(parts.join("")) as Envelope;
      this.local.deliver(envelope.topic, envelope.event);
    } catch {}
  }

  async close(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.flush();
    await this.unlisten?.().catch(() => {});
    await this.sql.end({ timeout: 5 });
  }
}
