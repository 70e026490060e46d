// A fake Telegram Bot API server on a free port: it answers the methods the app uses in the Bot API's
// shapes, records every call, and can be told to answer a method's next call with 429, 403, 500, late or never.
// For Stars payments it keeps the invoices it made and the charges it was told were paid, as Telegram would.
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
  | { delayMs: number }
  | { status: number; text: string };

export interface FakeTelegram {
  /** The TELEGRAM_API_URL to give the app. */
  readonly url: string;
  readonly calls: RecordedCall[];
  /** The recorded calls of one method. */
  callsOf(method: string): RecordedCall[];
  /** When a recorded call arrived (Date.now()). */
  arrivedAt(call: RecordedCall): number;
  /** The next call of `method` (the one after, for a second behaviour queued) gets this answer. */
  next(method: string, behaviour: Behaviour): void;
  /** The createInvoiceLink parameters behind a link it returned (undefined for a link it never made). */
  invoice(link: string): any;
  /**
   * The user pays an invoice: a new charge id for it, which refundStarPayment then knows (a
   * renewal of a subscription is another charge of the same invoice).
   */
  pay(link: string, userId: number): string;
  /** The charges refunded so far. */
  readonly refunded: ReadonlySet<string>;
  /** Forgets every behaviour queued and not used yet. */
  clear(): void;
  /** Answers every hanging call now, with its usual answer (the call reached Telegram). */
  release(): void;
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
  const arrivals = new WeakMap<RecordedCall, number>();
  const queued = new Map<string, Behaviour[]>();
  const waiters: Array<() => void> = [];
  const hanging = new Set<(answered: boolean) => void>();
  let webhook: { url: string; allowed_updates?: string[]; has_secret: boolean } = { url: "", has_secret: false };
  let messageId = 0;
  const invoices = new Map<string, any>();
  const charges = new Map<string, number>();
  const refunded = new Set<string>();

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
      case "createInvoiceLink":
        return invoiceLink(body);
      case "answerPreCheckoutQuery":
        if (typeof body.pre_checkout_query_id !== "string" || body.pre_checkout_query_id === "")
          return failure(400, "Bad Request: QUERY_ID_INVALID");
        if (typeof body.ok !== "boolean") return failure(400, 'Bad Request: parameter "ok" is required');
        if (!body.ok && (typeof body.error_message !== "string" || body.error_message === ""))
          return failure(400, "Bad Request: ERROR_MESSAGE_EMPTY");
        return json(200, { ok: true, result: true });
      case "refundStarPayment": {
        const charge = body.telegram_payment_charge_id;
        if (typeof charge !== "string" || charges.get(charge) !== body.user_id)
          return failure(400, "Bad Request: CHARGE_NOT_FOUND");
        if (refunded.has(charge)) return failure(400, "Bad Request: CHARGE_ALREADY_REFUNDED");
        refunded.add(charge);
        return json(200, { ok: true, result: true });
      }
      default:
        return failure(404, "Not Found");
    }
  };

  /** createInvoiceLink as Telegram checks it for Stars: one price, no provider token, a 30-day period if any. */
  const invoiceLink = (body: any): Response => {
    const length = (value: unknown) => (typeof value === "string" ? new TextEncoder().encode(value).length : 0);
    if (length(body.title) < 1 || [...body.title].length > 32) return failure(400, "Bad Request: INVOICE_TITLE_EMPTY");
    if (length(body.description) < 1 || [...body.description].length > 255)
      return failure(400, "Bad Request: INVOICE_DESCRIPTION_EMPTY");
    if (length(body.payload) < 1 || length(body.payload) > 128)
      return failure(400, "Bad Request: INVOICE_PAYLOAD_INVALID");
    if (body.currency !== "XTR") return failure(400, "Bad Request: CURRENCY_INVALID");
    if (body.provider_token !== undefined && body.provider_token !== "")
      return failure(400, "Bad Request: PROVIDER_TOKEN_INVALID");
    const prices = body.prices;
    if (!Array.isArray(prices) || prices.length !== 1) return failure(400, "Bad Request: STARS_INVOICE_INVALID");
    const [price] = prices;
    if (typeof price?.label !== "string" || !Number.isInteger(price.amount) || price.amount < 1 || price.amount > 10000)
      return failure(400, "Bad Request: STARS_INVOICE_INVALID");
    if (body.subscription_period !== undefined && body.subscription_period !== 2592000)
      return failure(400, "Bad Request: SUBSCRIPTION_PERIOD_INVALID");
    const link = `https://t.me/$${crypto.randomUUID().replaceAll("-", "")}`;
    invoices.set(link, body);
    return json(200, { ok: true, result: link });
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
      const call = { method, token: decodeURIComponent(given), body };
      calls.push(call);
      arrivals.set(call, Date.now());
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
      if ("delayMs" in behaviour) {
        await Bun.sleep(behaviour.delayMs);
        return answer(method, body);
      }
      // Hang: answered by release() as usual, or with a 500 when the fake stops.
      return new Promise<Response>((resolve) => {
        const release = (answered: boolean) =>
          resolve(answered ? answer(method, body) : failure(500, "Internal Server Error"));
        hanging.add(release);
      });
    },
  });

  const callsOf = (method: string) => calls.filter((call) => call.method === method);
  return {
    url: `http://127.0.0.1:${server.port}`,
    calls,
    callsOf,
    arrivedAt: (call) => arrivals.get(call) ?? Number.NaN,
    invoice: (link) => invoices.get(link),
    pay(link, userId) {
      if (!invoices.has(link)) throw new Error(`fake Telegram: no invoice ${link}`);
      const charge = `stxFake${crypto.randomUUID().replaceAll("-", "")}`;
      charges.set(charge, userId);
      return charge;
    },
    refunded,
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
    clear() {
      queued.clear();
    },
    release() {
      for (const release of hanging) release(true);
      hanging.clear();
    },
    async stop() {
      for (const release of hanging) release(false);
      hanging.clear();
      await server.stop(true);
    },
  };
}
