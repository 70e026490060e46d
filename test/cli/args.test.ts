// Command-line parsing: setting flags become config overrides, bad input is a UsageError; token TTLs.
import { describe, expect, test } from "bun:test";
import { parseCommand, UsageError } from "../../src/cli/args";
import { parseTtl } from "../../src/cli/token";
import { flagOf, SETTINGS } from "../../src/settings";

describe("parseCommand", () => {
  test("setting flags arrive by variable name, the command's own options and positionals apart", () => {
    expect(
      parseCommand(["42", "--port", "8080", "--database-url=postgres://h/db", "--ttl", "1h"], {
        ttl: { type: "string" },
      }),
    ).toEqual({
      flags: { PORT: "8080", DATABASE_URL: "postgres://h/db" },
      values: { ttl: "1h" },
      positionals: ["42"],
    });
  });

  test("every setting has its flag", () => {
    const names = Object.keys(SETTINGS);
    expect(parseCommand(names.flatMap((name) => [`--${flagOf(name)}`, name])).flags).toEqual(
      Object.fromEntries(names.map((name) => [name, name])),
    );
  });

  test("a leading -- (as `bun run seed -- --users 5` may pass it) is ignored", () => {
    expect(parseCommand(["--", "--users", "5"], { users: { type: "string" } }).values).toEqual({ users: "5" });
  });

  test.each([[["--no-such-flag", "1"]], [["--port"]], [["--users", "5"]]])("%j is a UsageError", (args) => {
    expect(() => parseCommand(args)).toThrow(UsageError);
  });
});

describe("parseTtl", () => {
  test.each([
    ["3600", 3600],
    ["90s", 90],
    ["15m", 900],
    ["24h", 86400],
    ["7d", 604800],
    ["366d", 366 * 86400],
  ])("%s is %d seconds", (raw, seconds) => {
    expect(parseTtl(raw)).toBe(seconds);
  });

  test.each(["0", "1w", "-5m", "1.5h", "", "367d", "h"])("%j is refused", (raw) => {
    expect(() => parseTtl(raw)).toThrow(UsageError);
  });
});
