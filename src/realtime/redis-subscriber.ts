// A pub/sub-only Redis connection that speaks RESP itself: SUBSCRIBE, UNSUBSCRIBE and the messages they bring.
import { log } from "../log";

/**
 * Why not Bun's RedisClient here: it keeps about 850 bytes of native memory for every subscribed
 * channel (measured: 14,000 channels added 11.4 MiB to the process), and the bus subscribes one
 * channel per user with a socket, so at 100,000 sockets that alone was ~80 MiB. This connection
 * keeps nothing per channel: the bus already knows which channels it asked for, and every message
 * goes to one callback. Everything else (publishing, presence, limits) still uses Bun's client.
 */

/** What a reply of the server is, in RESP2 (the protocol a connection speaks until it asks for another). */
type Reply = string | number | null | Reply[] | RedisReplyError;

class RedisReplyError extends Error {}

/** A command waiting for its replies: SUBSCRIBE and UNSUBSCRIBE get one per channel, AUTH one. */
interface Pending {
  left: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

const CR = 0x0d;
const NOTHING = Buffer.alloc(0);

/** The decimal integer in bytes [from, to) of `buffer` (a length or a count: no string made for it). */
function integerAt(buffer: Buffer, from: number, to: number): number {
  const negative = buffer[from] === 0x2d;
  let value = 0;
  for (let i = negative ? from + 1 : from; i < to; i++) {
    const digit = buffer[i]! - 0x30;
    if (digit < 0 || digit > 9) throw new Error("unexpected reply: not a number");
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

/** Parses one reply at `at`; undefined when `buffer` does not hold all of it yet. */
function parse(buffer: Buffer, at: number): [Reply, number] | undefined {
  const end = buffer.indexOf(CR, at);
  if (end === -1 || end + 1 >= buffer.length) return undefined;
  const next = end + 2;
  switch (buffer[at]) {
    case 0x2b: // + a simple string
      return [buffer.toString("latin1", at + 1, end), next];
    case 0x2d: // - an error
      return [new RedisReplyError(buffer.toString("utf8", at + 1, end)), next];
    case 0x3a: // : an integer
      return [integerAt(buffer, at + 1, end), next];
    case 0x24: {
      // $ a bulk string
      const length = integerAt(buffer, at + 1, end);
      if (length < 0) return [null, next];
      if (buffer.length < next + length + 2) return undefined;
      return [buffer.toString("utf8", next, next + length), next + length + 2];
    }
    case 0x2a: {
      // * an array
      const count = integerAt(buffer, at + 1, end);
      if (count < 0) return [null, next];
      const items: Reply[] = [];
      let position = next;
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, position);
        if (item === undefined) return undefined;
        items.push(item[0]);
        position = item[1];
      }
      return [items, position];
    }
    default:
      throw new Error(`unexpected reply: ${JSON.stringify(buffer.toString("latin1", at, Math.min(end, at + 16)))}`);
  }
}

/** One command in RESP: an array of bulk strings. */
function encode(args: readonly string[]): Buffer {
  let text = `*${args.length}\r\n`;
  for (const arg of args) text += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  return Buffer.from(text);
}

export class RedisSubscriber {
  /** Called once when the connection is lost or closed (not after close()). */
  onclose: ((error: Error) => void) | null = null;
  private input: Buffer = NOTHING;
  private output: Buffer[] = [];
  private readonly pending: Pending[] = [];
  private closed = false;

  private constructor(
    private readonly socket: Bun.Socket<undefined>,
    private readonly onMessage: (channel: string, message: string) => void,
  ) {}

  /**
   * Connects to the server of `url` (redis://, rediss:// for TLS, valkey://, valkeys://), sends
   * AUTH when the URL carries a password, and resolves once the server has accepted it. Over TLS
   * the server's certificate must verify (the system's CAs, and NODE_EXTRA_CA_CERTS), as with Bun's client.
   */
  static async connect(
    url: string,
    onMessage: (channel: string, message: string) => void,
    timeoutMs = 2000,
  ): Promise<RedisSubscriber> {
    const parsed = new URL(url);
    const tls = parsed.protocol === "rediss:" || parsed.protocol === "valkeys:";
    let subscriber: RedisSubscriber | null = null;
    // Settled by the TLS handshake (with the certificate's verdict), or at once without TLS.
    const secured = Promise.withResolvers<void>();
    secured.promise.catch(() => {});
    if (!tls) secured.resolve();
    const lost = (error: Error) => {
      secured.reject(error);
      subscriber?.lost(error);
    };
    const connecting = Bun.connect({
      hostname: parsed.hostname.replace(/^\[|\]$/g, ""),
      port: Number(parsed.port || 6379),
      tls,
      socket: {
        handshake: (_, success, authorizationError) => {
          if (success && !authorizationError) secured.resolve();
          else secured.reject(authorizationError ?? new Error("TLS handshake failed"));
        },
        data: (_, chunk) => subscriber?.receive(chunk),
        drain: () => subscriber?.flush(),
        close: () => lost(new Error("connection closed")),
        error: (_, error) => lost(error),
      },
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`connection timeout after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const socket = await Promise.race([connecting, timeout]);
      subscriber = new RedisSubscriber(socket, onMessage);
      await Promise.race([secured.promise, timeout]);
      const password = decodeURIComponent(parsed.password);
      if (password) {
        const user = decodeURIComponent(parsed.username);
        await Promise.race([subscriber.command(user ? ["AUTH", user, password] : ["AUTH", password], 1), timeout]);
      }
      return subscriber;
    } catch (error) {
      subscriber?.close();
      connecting.then((socket) => socket.end()).catch(() => {});
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves once the server has confirmed every one of `channels`. */
  subscribe(channels: readonly string[]): Promise<void> {
    return this.command(["SUBSCRIBE", ...channels], channels.length);
  }

  unsubscribe(channels: readonly string[]): Promise<void> {
    return this.command(["UNSUBSCRIBE", ...channels], channels.length);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failPending(new Error("connection closed"));
    this.socket.end();
  }

  private command(args: readonly string[], replies: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error("connection closed"));
    return new Promise((resolve, reject) => {
      this.pending.push({ left: replies, resolve, reject });
      this.output.push(encode(args));
      this.flush();
    });
  }

  /** Writes what the socket takes; the rest waits for its drain. */
  private flush(): void {
    while (this.output.length > 0) {
      const chunk = this.output[0]!;
      const written = this.socket.write(chunk);
      if (written < chunk.length) {
        this.output[0] = chunk.subarray(Math.max(0, written));
        return;
      }
      this.output.shift();
    }
  }

  private receive(chunk: Buffer): void {
    let buffer = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    let at = 0;
    for (;;) {
      let reply: [Reply, number] | undefined;
      try {
        reply = parse(buffer, at);
      } catch (error) {
        // Nothing else can follow a reply that cannot be read: drop the connection (its owner reconnects).
        this.lost(error instanceof Error ? error : new Error(String(error)));
        this.socket.end();
        return;
      }
      if (reply === undefined) break;
      at = reply[1];
      this.handle(reply[0]);
    }
    if (at > 0) buffer = buffer.subarray(at);
    // A copy, so the rest of a large chunk is not kept alive by the few bytes still unread.
    this.input = buffer.length === 0 ? NOTHING : Buffer.from(buffer);
  }

  private handle(reply: Reply): void {
    if (Array.isArray(reply) && reply[0] === "message") {
      try {
        this.onMessage(String(reply[1]), String(reply[2]));
      } catch (error) {
        // One message's failure is its own: the connection and the messages after it go on.
        log("error", "redis message handling failed", { error: String(error) });
      }
      return;
    }
    const head = this.pending[0];
    if (!head) return;
    if (reply instanceof RedisReplyError) {
      this.pending.shift();
      head.reject(reply);
      return;
    }
    if (--head.left > 0) return;
    this.pending.shift();
    head.resolve();
  }

  private failPending(error: Error): void {
    for (const waiting of this.pending.splice(0)) waiting.reject(error);
  }

  private lost(error: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.failPending(error);
    this.onclose?.(error);
  }
}
