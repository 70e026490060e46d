// A WebSocket test client that records every event and lets a test await the next one of a type;
// one that catches up as the page does; a server that upgrades everything.
import type { Server, WebSocketHandler } from "bun";

export interface Closed {
  code: number;
  reason: string;
}

export class SocketClient {
  readonly events: any[] = [];
  readonly closed: Promise<Closed>;
  private readonly waiters: Array<{ type: string; resolve: (event: any) => void }> = [];
  private cursor = new Map<string, number>();

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })),
    );
    ws.addEventListener("message", (e) => {
      const event = JSON.parse(String(e.data));
      this.events.push(event);
      for (const waiter of [...this.waiters]) {
        if (event.type === waiter.type) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(event);
        }
      }
    });
  }

  static async open(url: string): Promise<SocketClient> {
    const ws = new WebSocket(url);
    const client = new SocketClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => resolve(), { once: true });
      ws.addEventListener("error", () => reject(new Error(`could not open ${url}`)), { once: true });
    });
    return client;
  }

  /**
   * The next event of `type` this test has not consumed yet: one already received, or the next
   * to arrive. Each call consumes one, so two calls return two different events.
   */
  next(type: string): Promise<any> {
    const seen = this.cursor.get(type) ?? 0;
    const matching = this.events.filter((event) => event.type === type);
    this.cursor.set(type, seen + 1);
    if (matching.length > seen) return Promise.resolve(matching[seen]);
    return new Promise((resolve) => this.waiters.push({ type, resolve }));
  }

  /** How many events of `type` have arrived so far. */
  count(type: string): number {
    return this.events.filter((event) => event.type === type).length;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  close(): Promise<Closed> {
    this.ws.close();
    return this.closed;
  }
}

/** Sends a WebSocket upgrade by hand and returns the HTTP status of a refused one. */
export async function upgradeStatus(httpUrl: string): Promise<{ status: number; body: any }> {
  const response = await fetch(httpUrl, {
    headers: {
      connection: "Upgrade",
      upgrade: "websocket",
      "sec-websocket-version": "13",
      "sec-websocket-key": btoa("0123456789abcdef"),
    },
  });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, body };
}

/**
 * A chat client that behaves as the page does: when the server closes its socket to catch up (1012),
 * it connects again with since= the newest message it has, so every message reaches it. Keeps the
 * texts of the match's messages, once each, and how many catch-ups it went through.
 */
export class FollowingClient {
  readonly texts: string[] = [];
  catchUps = 0;
  socket!: SocketClient;
  private readonly ids = new Set<number>();
  private stopped = false;

  private constructor(
    private readonly url: (since: number) => string,
    private newest: number,
  ) {}

  /** `url` gives the socket's address for a `since`; the first connect uses `since`. */
  static async open(url: (since: number) => string, since = 0): Promise<FollowingClient> {
    const client = new FollowingClient(url, since);
    await client.connect();
    return client;
  }

  has(text: string): boolean {
    return this.texts.includes(text);
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.socket.close();
  }

  private async connect(): Promise<void> {
    const socket = await SocketClient.open(this.url(this.newest));
    this.socket = socket;
    socket.ws.addEventListener("message", (message) => {
      const event = JSON.parse(String(message.data));
      const messages = event.type === "message" ? [event.message] : event.type === "history" ? event.messages : [];
      for (const { id, message: text } of messages) {
        if (this.ids.has(id)) continue;
        this.ids.add(id);
        this.newest = Math.max(this.newest, id);
        this.texts.push(text);
      }
    });
    void socket.closed.then(({ code }) => {
      if (code !== 1012 || this.stopped) return;
      this.catchUps++;
      void this.reconnect();
    });
    await socket.next("connected");
  }

  /** Tries again while the server refuses (it may be coming back itself), for up to 10 s. */
  private async reconnect(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        return await this.connect();
      } catch (error) {
        if (attempt >= 100) throw error;
        await Bun.sleep(100);
      }
    }
  }
}

/** A Bun server on 127.0.0.1 that upgrades every request to a WebSocket handled by `websocket`. */
export function upgradingServer(websocket: WebSocketHandler<unknown>): Server<unknown> {
  return Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req, srv) {
      if (srv.upgrade(req, { data: undefined })) return;
      return new Response("upgrade only", { status: 400 });
    },
    websocket,
  });
}
