// A Redis connection that survives Redis going away: it logs, retries with backoff, and reconnects.
import { RedisClient } from "bun";
import { log } from "../log";

const MAX_BACKOFF_MS = 10_000;

/** A connected client a RedisConnection can own: Bun's RedisClient, or the bus's RedisSubscriber. */
export interface Closable {
  onclose: ((error: Error) => void) | null;
  close(): void;
}

/** Connects a client to `url`; rejects when that fails. */
export type Opener<C extends Closable> = (url: string) => Promise<C>;

/** Bun's client with its own reconnect and offline queue off: RedisConnection does the retrying. */
export const openClient: Opener<RedisClient> = async (url) => {
  const client = new RedisClient(url, { autoReconnect: false, enableOfflineQueue: false, connectionTimeout: 2000 });
  try {
    await client.connect();
  } catch (error) {
    client.close();
    throw error;
  }
  return client;
};

/**
 * Owns one client at a time. Whenever it is not connected it keeps trying (1 s, 2 s, … 10 s);
 * each fresh connection is handed to `onConnect` (e.g. to subscribe again). There is exactly one
 * retry loop and a fresh client each time.
 */
export class RedisConnection<C extends Closable = RedisClient> {
  private client: C | null = null;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;

  constructor(
    private readonly url: string,
    private readonly name: string,
    private readonly open: Opener<C>,
    private readonly onConnect: (client: C) => Promise<void> = async () => {},
  ) {}

  /** Resolves after the first attempt, connected or not: the process serves either way. */
  async start(): Promise<void> {
    await this.connect();
  }

  /** The connected client, or null while Redis is unreachable. */
  get current(): C | null {
    return this.client;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let client: C;
    try {
      client = await this.open(this.url);
    } catch (error) {
      this.retry(error);
      return;
    }
    try {
      await this.onConnect(client);
    } catch (error) {
      client.close();
      this.retry(error);
      return;
    }
    if (this.failures > 0) log("info", "redis reconnected", { connection: this.name });
    this.failures = 0;
    this.client = client;
    client.onclose = (error) => {
      if (this.client !== client) return;
      this.client = null;
      this.retry(error);
    };
  }

  private retry(error: unknown): void {
    if (this.stopped) return;
    if (this.failures === 0) log("error", "redis unavailable", { connection: this.name, error: String(error) });
    this.failures++;
    const delay = Math.min(1000 * 2 ** (this.failures - 1), MAX_BACKOFF_MS);
    this.timer = setTimeout(() => void this.connect(), delay);
  }

  close(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.client?.close();
    this.client = null;
  }
}
