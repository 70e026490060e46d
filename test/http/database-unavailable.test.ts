// Which failures are a database that cannot be reached (503 database_unavailable), not a bug (500).
import { describe, expect, test } from "bun:test";
import { asAppError, isDatabaseUnavailable } from "../../src/kernel/errors";

const withCode = (code: string, message = "boom") => Object.assign(new Error(message), { code });
// drizzle wraps the driver's error, with the SQL and its parameters in the message.
const wrapped = (cause: Error) => new Error("Failed query: SELECT 1\nparams: secret", { cause });

describe("isDatabaseUnavailable", () => {
  test.each([
    "ECONNREFUSED",
    "ECONNRESET",
    "CONNECT_TIMEOUT",
    "CONNECTION_CLOSED",
    "CONNECTION_ENDED",
    "CONNECTION_DESTROYED",
    "57P01",
    "57P02",
    "57P03",
    "53300",
    "08006",
    "08001",
  ])("%s, bare or under drizzle's wrapper", (code) => {
    expect(isDatabaseUnavailable(withCode(code))).toBe(true);
    expect(isDatabaseUnavailable(wrapped(withCode(code)))).toBe(true);
  });

  test.each(["23505", "23503", "42P01", "22P02", "40001", "57014"])("%s is not", (code) => {
    expect(isDatabaseUnavailable(wrapped(withCode(code)))).toBe(false);
  });

  test("errors without a code, and non-errors, are not", () => {
    expect(isDatabaseUnavailable(new Error("connection terminated"))).toBe(false);
    expect(isDatabaseUnavailable("ECONNREFUSED")).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
  });
});

describe("asAppError", () => {
  test("an unreachable database is 503 database_unavailable with Retry-After, the SQL never in it", () => {
    const error = asAppError(wrapped(withCode("ECONNREFUSED")));
    expect(error).toMatchObject({ status: 503, code: "database_unavailable", headers: { "retry-after": "5" } });
    expect(error!.message).not.toContain("SELECT");
  });

  test("anything else is left to the 500 path", () => {
    expect(asAppError(wrapped(withCode("23505")))).toBeNull();
    expect(asAppError(new TypeError("x is undefined"))).toBeNull();
  });
});
