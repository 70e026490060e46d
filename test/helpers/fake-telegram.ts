// A fake Telegram Bot API server on a free port: it answers the methods the app uses in the Bot API's
// shapes, records every call, and can be told to answer a method's next call with 429, 403 or nothing.
import type { Server } from "bun";

export interface RecordedCall {
  method: string;
  /** The token of the URL /bot<token>/<method>. */
  token: string;
  /** The JSON body as sent. */
  body: any;
}

/** What the next call of a method gets instead of its usual answer. */
export type Behaviour =
  | { tooManyRequests: number }
  | { blocked: true }
  | { error: number; description: string }
  | { hang: true }
  | { status: number; text: string };

export interface FakeTelegram {
  /** The TELEGRAM_API_URL to give the app. */
  readonly url: string;
  readonly calls: RecordedCall[];
  /** The recorded calls of one method. */
  callsOf(method: string): RecordedCall[];
  /** The next call of `method` (the one after, for a second behaviour queued) gets this answer. */
  next(method: string, behaviour: Behaviour): void;
  /** Resolves once `count` calls of `method` are recorded (fails after `timeoutMs`). */
  waitFor(method: string, count?: number, timeoutMs?: number): Promise<RecordedCall[]>;
  stop(): Promise<void>;
}

const json = (status: number, body: unknown) => Response.json(body, { status });
const failure = (status: number, description: string, parameters?: object) =>
  json(status, { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) });

/** Starts the fake; only calls carrying `token` are answered, others get the Bot API's 401. */
export function startFakeTelegram(token: string): FakeTelegram {
  const calls: RecordedCall[] = [];
  const queued = new Map<string, Behaviour[]>();
  const waiters: Array<() => void> = [];
  const hanging = new Set<() => void>();
  let webhook: { url: string; allowed_updates?: string[]; has_secret: boolean } = { url: "", has_secret: false };
  let messageId = 0;

  const answer = (method: string, body: any): Response => {
    switch (method) {
      case "getMe":
        return json(200, {
          ok: true,
          result: { id: Number(token.split(":")[0]), is_bot: true, first_name: "Mystery Match", username: "mm_bot" },
        });
      case "sendMessage": {
        if (typeof body.chat_id !== "number" && typeof body.chat_id !== "string")
          return failure(400, "Bad Request: chat_id is empty");
        if (typeof body.text !== "string" || body.text === "")
          return failure(400, "Bad Request: message text is empty");
        return json(200, {
          ok: true,
          result: {
            message_id: ++messageId,
            date: Math.floor(Date.now() / 1000),
            chat: { id: Number(body.chat_id), type: "private" },
            text: body.text,
            ...(body.reply_markup ? { reply_markup: body.reply_markup } : {}),
          },
        });
      }
      case "setWebhook":
        if (typeof body.url !== "string") return failure(400, "Bad Request: bad webhook: URL is empty");
        webhook = { url: body.url, allowed_updates: body.allowed_updates, has_secret: Boolean(body.secret_token) };
        return json(200, { ok: true, result: true, description: body.url ? "Webhook was set" : "Webhook was deleted" });
      case "getWebhookInfo":
        return json(200, {
          ok: true,
          result: {
            url: webhook.url,
            has_custom_certificate: false,
            pending_update_count: 0,
            ...(webhook.allowed_updates ? { allowed_updates: webhook.allowed_updates } : {}),
          },
        });
      default:
        return failure(404, "Not Found");
    }
  };

  const server: Server<undefined> = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(request) {
      const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(new URL(request.url).pathname);
      if (!match) return failure(404, "Not Found");
      const [, given, method] = match as unknown as [string, string, string];
      const text = await request.text();
      let body: any = {};
      try {
        body = text === "" ? {} : JSON.parse(text);
      } catch {
        return failure(400, "Bad Request: can't parse JSON");
      }
      calls.push({ method, token: decodeURIComponent(given), body });
      for (const wake of waiters.splice(0)) wake();
      if (decodeURIComponent(given) !== token) return failure(401, "Unauthorized");
      const behaviour = queued.get(method)?.shift();
      if (behaviour === undefined) return answer(method, body);
      if ("tooManyRequests" in behaviour) {
        const seconds = behaviour.tooManyRequests;
        return failure(429, `Too Many Requests: retry after ${seconds}`, { retry_after: seconds });
      }
      if ("blocked" in behaviour) return failure(403, "Forbidden: bot was blocked by the user");
      if ("error" in behaviour) return failure(behaviour.error, behaviour.description);
      if ("status" in behaviour) return new Response(behaviour.text, { status: behaviour.status });
      // Hang: answer only when the fake stops.
      return new Promise<Response>((resolve) => {
        const release = () => resolve(failure(500, "Internal Server Error"));
        hanging.add(release);
      });
    },
  });

  const callsOf = (method: string) => calls.filter((call) => call.method === method);
  return {
    url: `http://127.0.0.1:${server.port}`,
    calls,
    callsOf,
    next(method, behaviour) {
      queued.set(method, [...(queued.get(method) ?? []), behaviour]);
    },
    async waitFor(method, count = 1, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (callsOf(method).length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`fake Telegram: ${callsOf(method).length} of ${count} ${method} calls`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return callsOf(method);
    },
    async stop() {
      for (const release of hanging) release();
      hanging.clear();
      await server.stop(true);
    },
  };
}
