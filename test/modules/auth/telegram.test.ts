// Unit tests of Telegram Mini App initData verification.
import { describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { INIT_DATA_MAX_AGE_SECONDS, signInitData, verifyInitData } from "../../../src/modules/auth/telegram";

const BOT = "123456:unit-test-bot-token";
const NOW = new Date("2026-01-01T12:00:00.000Z");
const NOW_S = NOW.getTime() / 1000;

function fields(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const base: Record<string, string | undefined> = {
    query_id: "AAHdF6IQAAAAAN0XohDhrOrc",
    user: JSON.stringify({ id: 279058397, first_name: "Vlad", username: "vdkfrost", language_code: "en" }),
    auth_date: String(NOW_S - 60),
    ...overrides,
  };
  return Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

const valid = (overrides: Record<string, string | undefined> = {}) => signInitData(BOT, fields(overrides));

/** Re-signs raw params with an independent implementation of Telegram's algorithm. */
function telegramHash(botToken: string, params: URLSearchParams): string {
  const secret = createHmac("sha256", "WebAppData").update(botToken).digest();
  const check = [...params.entries()]
    .filter(([k]) => k !== "hash")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("\n");
  return createHmac("sha256", secret).update(check).digest("hex");
}

describe("signInitData", () => {
  test("appends a 64-char lowercase hex hash computed as Telegram documents", () => {
    const params = new URLSearchParams(valid());
    const hash = params.get("hash");
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(telegramHash(BOT, params));
  });
});

describe("verifyInitData: valid data", () => {
  test("returns the Telegram user id", () => {
    expect(verifyInitData(BOT, valid(), NOW)).toBe(279058397);
  });

  test("field order in the string does not matter", () => {
    const params = new URLSearchParams(valid());
    const reversed = new URLSearchParams([...params.entries()].reverse());
    expect(verifyInitData(BOT, reversed.toString(), NOW)).toBe(279058397);
  });

  test("data signed by an independent implementation is accepted", () => {
    const params = new URLSearchParams(fields({ user: JSON.stringify({ id: 5, first_name: 'Zoë & "Co"' }) }));
    params.set("hash", telegramHash(BOT, params));
    expect(verifyInitData(BOT, params.toString(), NOW)).toBe(5);
  });

  test("auth_date exactly 24 hours old is still accepted", () => {
    expect(verifyInitData(BOT, valid({ auth_date: String(NOW_S - INIT_DATA_MAX_AGE_SECONDS) }), NOW)).toBe(279058397);
  });

  test("auth_date slightly in the future (clock skew) is accepted", () => {
    expect(verifyInitData(BOT, valid({ auth_date: String(NOW_S + 60) }), NOW)).toBe(279058397);
  });

  test("the largest safe user id is accepted", () => {
    const data = valid({ user: JSON.stringify({ id: Number.MAX_SAFE_INTEGER }) });
    expect(verifyInitData(BOT, data, NOW)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe("verifyInitData: forged data", () => {
  test("data signed with another bot token is refused", () => {
    expect(verifyInitData(BOT, signInitData("654321:other-bot-token", fields()), NOW)).toBeNull();
  });

  test("a tampered user field is refused", () => {
    const params = new URLSearchParams(valid());
    params.set("user", JSON.stringify({ id: 1, first_name: "Vlad" }));
    expect(verifyInitData(BOT, params.toString(), NOW)).toBeNull();
  });

  test("a tampered auth_date is refused", () => {
    const params = new URLSearchParams(valid({ auth_date: String(NOW_S - 2 * INIT_DATA_MAX_AGE_SECONDS) }));
    params.set("auth_date", String(NOW_S));
    expect(verifyInitData(BOT, params.toString(), NOW)).toBeNull();
  });

  test("an added field is refused", () => {
    const params = new URLSearchParams(valid());
    params.set("start_param", "x");
    expect(verifyInitData(BOT, params.toString(), NOW)).toBeNull();
  });

  test("a removed field is refused", () => {
    const params = new URLSearchParams(valid());
    params.delete("query_id");
    expect(verifyInitData(BOT, params.toString(), NOW)).toBeNull();
  });

  test("a missing hash is refused", () => {
    const params = new URLSearchParams(valid());
    params.delete("hash");
    expect(verifyInitData(BOT, params.toString(), NOW)).toBeNull();
  });

  test("a hash that is not hex is refused", () => {
    const params = new URLSearchParams(valid());
    params.set("hash", "z".repeat(64));
    expect(verifyInitData(BOT, params.toString(), NOW)).toBeNull();
  });

  test("an uppercase, short, long or empty hash is refused", () => {
    const params = new URLSearchParams(valid());
    const hash = params.get("hash")!;
    for (const bad of [hash.toUpperCase(), hash.slice(0, 62), `${hash}00`, ""]) {
      params.set("hash", bad);
      expect(verifyInitData(BOT, params.toString(), NOW)).toBeNull();
    }
  });

  test("a hash with one changed digit is refused", () => {
    const params = new URLSearchParams(valid());
    const hash = params.get("hash")!;
    params.set("hash", (hash[0] === "0" ? "1" : "0") + hash.slice(1));
    expect(verifyInitData(BOT, params.toString(), NOW)).toBeNull();
  });

  test("empty and garbage strings are refused", () => {
    expect([verifyInitData(BOT, "", NOW), verifyInitData(BOT, "%%%&&&===", NOW)]).toEqual([null, null]);
  });
});

describe("verifyInitData: auth_date", () => {
  test("auth_date older than 24 hours is refused", () => {
    const data = valid({ auth_date: String(NOW_S - INIT_DATA_MAX_AGE_SECONDS - 1) });
    expect(verifyInitData(BOT, data, NOW)).toBeNull();
  });

  test("fresh data becomes invalid 24 hours later (the now argument)", () => {
    const data = valid({ auth_date: String(NOW_S) });
    expect(verifyInitData(BOT, data, NOW)).toBe(279058397);
    expect(verifyInitData(BOT, data, new Date(NOW.getTime() + (INIT_DATA_MAX_AGE_SECONDS + 1) * 1000))).toBeNull();
  });

  test("auth_date far in the future is refused", () => {
    expect(verifyInitData(BOT, valid({ auth_date: String(NOW_S + 3600) }), NOW)).toBeNull();
    expect(verifyInitData(BOT, valid({ auth_date: String(NOW_S + 10 ** 9) }), NOW)).toBeNull();
  });

  test.each([
    ["missing", undefined],
    ["empty", ""],
    ["zero", "0"],
    ["negative", "-5"],
    ["not a number", "yesterday"],
    ["fractional", String(NOW_S - 0.5)],
  ])("auth_date %s is refused", (_name, authDate) => {
    expect(verifyInitData(BOT, valid({ auth_date: authDate }), NOW)).toBeNull();
  });
});

describe("verifyInitData: user", () => {
  test.each([
    ["missing", undefined],
    ["not JSON", "{id:5"],
    ["JSON null", "null"],
    ["a number", "5"],
    ["without id", JSON.stringify({ first_name: "A" })],
    ["id 0", JSON.stringify({ id: 0 })],
    ["id negative", JSON.stringify({ id: -5 })],
    ["id fractional", JSON.stringify({ id: 1.5 })],
    ["id a string", JSON.stringify({ id: "5" })],
    ["id above 2^53-1", '{"id":9007199254740993}'],
    ["id null", JSON.stringify({ id: null })],
  ])("user %s is refused", (_name, user) => {
    expect(verifyInitData(BOT, valid({ user }), NOW)).toBeNull();
  });
});
