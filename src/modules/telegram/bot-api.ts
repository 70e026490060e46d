// The Telegram Bot API client: POST <TELEGRAM_API_URL>/bot<token>/<method> with a JSON body, and every
// way that can end as one typed outcome the caller (the webhook now, the notification outbox next) acts on.
import type { ApiMethods, ApiResponse, Opts } from "@grammyjs/types";

/** The Bot API's methods; files are never uploaded, so InputFile is `never`. */
type Methods = ApiMethods<never>;
export type BotMethod = keyof Methods;
export type BotParams<M extends BotMethod> = Opts<never>[M];
export type BotResult<M extends BotMethod> = ReturnType<Methods[M]>;

/**
 * How a call ended. `ok`: the result. `rate_limited`: 429, wait `retryAfterSeconds` before any call
 * (flood control is per bot, not per chat). `blocked`: 403, the user blocked the bot (or deleted
 * their account): they are unreachable until they unblock it. `rejected`: any other `ok: false`
 * (e.g. 400 "chat not found", 401 a wrong token). `unavailable`: no answer in the Bot API's shape
 * (connection refused, reset, a proxy's HTML 502). `timeout`: no answer within `timeoutMs`.
 */
export type BotOutcome<T> =
  | { readonly kind: "ok"; readonly result: T }
  | { readonly kind: "rate_limited"; readonly retryAfterSeconds: number; readonly description: string }
  | { readonly kind: "blocked"; readonly description: string }
  | { readonly kind: "rejected"; readonly errorCode: number; readonly description: string }
  | { readonly kind: "unavailable"; readonly description: string }
  | { readonly kind: "timeout"; readonly timeoutMs: number };

export type BotFailure = Exclude<BotOutcome<unknown>, { kind: "ok" }>;

/** A call that did not end with `ok`, in one line that never holds the token. */
export function describeFailure(outcome: BotFailure): string {
  switch (outcome.kind) {
    case "rate_limited":
      return `429 ${outcome.description} (retry after ${outcome.retryAfterSeconds} s)`;
    case "blocked":
      return `403 ${outcome.description}`;
    case "rejected":
      return `${outcome.errorCode} ${outcome.description}`;
    case "unavailable":
      return `the Bot API is unreachable: ${outcome.description}`;
    case "timeout":
      return `no answer from the Bot API within ${outcome.timeoutMs} ms`;
  }
}

/** How long one call may take unless the caller says otherwise. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** A 429 without a usable retry_after waits this long. */
const FALLBACK_RETRY_AFTER_SECONDS = 5;

export interface BotApiOptions {
  /** TELEGRAM_API_URL: the server, without the /bot<token>/ part. */
  readonly apiUrl: string;
  readonly token: string;
  readonly timeoutMs?: number;
}

export interface BotApi {
  call<M extends BotMethod>(
    method: M,
    params: BotParams<M>,
    options?: { timeoutMs?: number },
  ): Promise<BotOutcome<BotResult<M>>>;
}

export function createBotApi({ apiUrl, token, timeoutMs = DEFAULT_TIMEOUT_MS }: BotApiOptions): BotApi {
  const base = `${apiUrl.replace(/\/+$/, "")}/bot${token}/`;
  // Whatever a failure says (a URL in a driver's message, say) is stripped of the token before anyone sees it.
  const clean = (text: string) => text.replaceAll(token, "<token>").replaceAll(encodeURIComponent(token), "<token>");
  return {
    async call(method, params, options = {}) {
      const limit = options.timeoutMs ?? timeoutMs;
      const signal = AbortSignal.timeout(limit);
      let response: Response;
      let text: string;
      try {
        response = await fetch(base + method, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(params),
          signal,
          redirect: "error",
        });
        text = await response.text();
      } catch (error) {
        if (signal.aborted) return { kind: "timeout", timeoutMs: limit };
        return { kind: "unavailable", description: clean(String((error as Error).message ?? error)) };
      }
      let reply: ApiResponse<unknown>;
      try {
        reply = JSON.parse(text);
        if (typeof reply !== "object" || reply === null || typeof reply.ok !== "boolean") throw new Error();
      } catch {
        return { kind: "unavailable", description: `HTTP ${response.status} without a Bot API reply` };
      }
      if (reply.ok) return { kind: "ok", result: reply.result as never };
      const errorCode = Number.isInteger(reply.error_code) ? reply.error_code : response.status;
      const description = clean(typeof reply.description === "string" ? reply.description : `HTTP ${response.status}`);
      if (errorCode === 429 || response.status === 429) {
        const after = reply.parameters?.retry_after;
        const retryAfterSeconds =
          typeof after === "number" && Number.isFinite(after) && after >= 0
            ? Math.ceil(after)
            : FALLBACK_RETRY_AFTER_SECONDS;
        return { kind: "rate_limited", retryAfterSeconds, description };
      }
      if (errorCode === 403) return { kind: "blocked", description };
      return { kind: "rejected", errorCode, description };
    },
  };
}
