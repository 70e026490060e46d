// Schema building blocks shared by every module: ids, safe strings, and error responses per status.
import { FormatRegistry, Type } from "@sinclair/typebox";
import { t } from "elysia";
import { ErrorBody, invalidField } from "./errors";

const NO_NUL = "^[^\\u0000]*$";
const MAX_ID = Number.MAX_SAFE_INTEGER;

/**
 * Well-formed UTF-16: no lone surrogate. JSON can carry one ("\ud800"), but UTF-8 cannot: it would
 * be stored as U+FFFD, not as the text that was acknowledged. A format, not a pattern: a regular
 * expression over surrogate pairs is slow on long strings.
 */
export const UNICODE_TEXT = "unicode-text";
if (!FormatRegistry.Has(UNICODE_TEXT)) FormatRegistry.Set(UNICODE_TEXT, (value) => value.isWellFormed());

/** A string PostgreSQL stores as sent: NUL characters and lone surrogates are refused up front. */
export const SafeString = (options: { minLength?: number; maxLength: number; description?: string }) =>
  t.String({ ...options, pattern: NO_NUL, format: UNICODE_TEXT });

/**
 * An integer in a JSON body: a JSON number only. (Elysia's own t.Integer also takes numeric
 * strings such as "0x1E", which the contract refuses.)
 */
export const JsonInteger = (options: { minimum?: number; maximum?: number; description?: string; default?: number }) =>
  Type.Integer(options);

/** A Telegram user id or a row id in a JSON body: a positive integer that a double holds exactly. */
export const Id = (description: string) => JsonInteger({ minimum: 1, maximum: MAX_ID, description });

/** Optional caller-id fields kept for old clients; when present they must equal the token's user. */
export const CallerId = (description = "Optional: your own user id; must match your credentials") =>
  t.Optional(Id(description));

/** The decimal spelling of an integer, and only that: no sign "+", leading zeros, spaces, "0x", "1e3" or "1.0". */
const DECIMAL = "^(0|-?[1-9][0-9]{0,19})$";

/**
 * An integer in a path or query string, written in plain decimal. (Elysia's t.Integer reads any
 * string `Number()` reads: " 1", "+1", "01", "0x1", "1e0", "1.0" and "1.0000000000000001" were all
 * the id 1.) Its range is checked by `inRange`, not by the schema: a range failure in the schema
 * would be reported without the field's name.
 */
export const IntegerParam = (description: string) =>
  t
    .Transform(t.Union([t.String({ pattern: DECIMAL }), Type.Integer()], { description }))
    .Decode((value) => Number(value))
    .Encode((value) => value);

/** The range rule of an IntegerParam, as a 422 naming the field. */
export function inRange(field: string, value: number, min = 1, max = MAX_ID): number {
  if (value < min || value > max) throw invalidField(field, `must be an integer from ${min} to ${max}`);
  return value;
}

export const Timestamp = (description?: string) => t.String({ format: "date-time", description });
export const NullableTimestamp = (description?: string) => t.Union([Timestamp(), t.Null()], { description });

/** Error responses for the given statuses, all with the contract's error body. */
export function errors<const S extends readonly number[]>(...statuses: S): { [K in S[number]]: typeof ErrorBody } {
  return Object.fromEntries(statuses.map((status) => [status, ErrorBody])) as { [K in S[number]]: typeof ErrorBody };
}
