// The page's way to the server: Eden Treaty on the app's type, with the session's bearer token; errors as ApiError.
import { treaty } from "@elysiajs/eden";
import type { App } from "../http/app";
import type { ErrorBody } from "../kernel/errors";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: NonNullable<ErrorBody["details"]> = [],
  ) {
    super(message);
  }
}

let token: string | null = null;
let onUnauthorized: () => void = () => {};

/** The credential of later calls, and what to do when the server refuses it (401) while signed in. */
export function useToken(value: string | null, whenRejected: () => void = () => {}): void {
  token = value;
  onUnauthorized = whenRejected;
}

/**
 * The typed client: `client.api.mystery.chat({ match_id }).get({ query: { limit: 200 } })`. Timestamps
 * stay strings, as the server's schemas say (Eden would otherwise turn them into Date objects).
 */
export const client = treaty<App>(location.origin, {
  parseDate: false,
  headers: () => (token ? { authorization: `Bearer ${token}` } : undefined),
});

/** One Eden reply: its data, or an error whose value is the contract's error body. */
interface Reply {
  data: unknown;
  error: { status: unknown; value: unknown } | null;
  /** Absent when the request never got an answer (Eden then reports a 503 of its own). */
  response?: Response;
}

/** The reply's data, or an ApiError with the server's code, message and details. */
export async function ok<R extends Reply>(call: Promise<R>): Promise<NonNullable<R["data"]>> {
  const reply = await call;
  if (!reply.response) throw new ApiError(0, "network", "The server can't be reached.");
  const status = reply.response.status;
  if (reply.error === null && reply.data !== null) return reply.data as NonNullable<R["data"]>;
  const body = (reply.error?.value ?? null) as Partial<ErrorBody> | null;
  if (status === 401 && token) onUnauthorized();
  throw new ApiError(
    status,
    body?.error ?? `http_${status}`,
    body?.message ?? `The server answered ${status}.`,
    body?.details ?? [],
  );
}
