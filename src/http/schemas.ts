// Schema building blocks shared by every module: ids, safe strings, and error responses per status.
import { t } from "elysia";
import { ErrorBody } from "./errors";

const NO_NUL = "^[^\\u0000]*$";

/** A string PostgreSQL can store: NUL characters are refused up front instead of failing in SQL. */
export const SafeString = (options: { minLength?: number; maxLength: number; description?: string }) =>
  t.String({ ...options, pattern: NO_NUL });

/** A Telegram user id or a row id: a positive integer that a double holds exactly. */
export const Id = (description: string) => t.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description });

/** Optional caller-id fields kept for old clients; when present they must equal the token's user. */
export const CallerId = (description = "Optional: your own user id; must match your credentials") =>
  t.Optional(Id(description));

export const Timestamp = (description?: string) => t.String({ format: "date-time", description });
export const NullableTimestamp = (description?: string) => t.Union([Timestamp(), t.Null()], { description });

/** Error responses for the given statuses, all with the contract's error body. */
export function errors<const S extends readonly number[]>(...statuses: S): { [K in S[number]]: typeof ErrorBody } {
  return Object.fromEntries(statuses.map((status) => [status, ErrorBody])) as { [K in S[number]]: typeof ErrorBody };
}
