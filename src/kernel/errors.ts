// AppError, the contract's error body, and which failures a client sees as what (an unreachable database is a 503).
import { t } from "elysia";
import { errorWithCode } from "../db/client";
import { log } from "../log";

/** A failure the client should see: HTTP status, stable `code`, human `message`. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly details?: FieldDetail[],
  ) {
    super(message);
  }
}

export interface FieldDetail {
  field: string;
  message: string;
}

/** A 422 for a rule the schema cannot express (e.g. "not only whitespace"). */
export function invalidField(field: string, message: string): AppError {
  return new AppError(422, "validation_failed", `Invalid body: ${field}`, {}, [{ field, message }]);
}

export const ErrorBody = t.Object(
  {
    success: t.Literal(false),
    error: t.String({ description: "Stable machine-readable code, e.g. match_not_found" }),
    message: t.String({ description: "Human-readable sentence" }),
    details: t.Optional(
      t.Array(t.Object({ field: t.String(), message: t.String() }), {
        description: "Present on 422 validation_failed: one entry per bad field",
      }),
    ),
  },
  { $id: "#/components/schemas/Error", title: "Error" },
);
export type ErrorBody = typeof ErrorBody.static;

/** Retry-After of a 503 database_unavailable: a restart or failover usually takes seconds. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

// Driver and socket codes of a database that cannot be reached or dropped the connection.
const CONNECTION_FAILURES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
  // postgres.js's own codes.
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  // PostgreSQL: admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections.
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);

/**
 * True when `error` (or any error in its `cause` chain, as drizzle wraps driver errors) says the
 * database is unreachable or dropped the connection, rather than that a statement was wrong:
 * the codes above and PostgreSQL's whole class 08 (connection exception).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return errorWithCode(error, (code) => CONNECTION_FAILURES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) !== null;
}

export const databaseUnavailable = () =>
  new AppError(503, "database_unavailable", "The database is unavailable; please retry shortly", {
    "retry-after": String(DATABASE_RETRY_AFTER_SECONDS),
  });

/** The driver's own error under drizzle's "Failed query" wrapper (which carries the SQL and its parameters). */
function driverError(error: unknown): unknown {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current;
}

// An outage fails every request: say so in the log once per interval, not once per request.
const OUTAGE_LOG_INTERVAL_MS = 10_000;
let lastOutageLog = 0;

/** The AppError a client should see for `error`: itself, 503 for an unreachable database, else null. */
export function asAppError(error: unknown): AppError | null {
  if (error instanceof AppError) return error;
  if (!isDatabaseUnavailable(error)) return null;
  const now = Date.now();
  if (now - lastOutageLog >= OUTAGE_LOG_INTERVAL_MS) {
    lastOutageLog = now;
    log("warn", "database unavailable", { error: String(driverError(error)) });
  }
  return databaseUnavailable();
}
