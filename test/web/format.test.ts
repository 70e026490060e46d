// The page's formatting helpers: what people read for times, counts and the daily quota.
import { describe, expect, test } from "bun:test";
import { signToken } from "../../src/modules/auth/jwt";
import { ago, countdown, quotaText, timeLeft, tokenUserId, untilUtcMidnight } from "../../src/web/format";

const NOW = new Date("2026-11-29T20:00:00.000Z");
const later = (ms: number) => new Date(NOW.getTime() + ms);

describe("format", () => {
  test("timeLeft", () => {
    expect(timeLeft(later(48 * 3600_000), NOW)).toBe("48 h 0 min left");
    expect(timeLeft(later(3600_000 + 61_000), NOW)).toBe("1 h 1 min left");
    expect(timeLeft(later(9 * 60_000 + 5_000), NOW)).toBe("9 min left");
    expect(timeLeft(later(30_000), NOW)).toBe("less than a minute left");
    expect(timeLeft(later(0), NOW)).toBe("expired");
    expect(timeLeft(later(-5_000), NOW)).toBe("expired");
  });

  test("countdown", () => {
    expect(countdown(5 * 60_000)).toBe("5:00");
    expect(countdown(61_500)).toBe("1:02");
    expect(countdown(3600_000 + 5_000)).toBe("1:00:05");
    expect(countdown(-10)).toBe("0:00");
  });

  test("ago and the quota reset", () => {
    expect(ago(later(-10_000), NOW)).toBe("just now");
    expect(ago(later(-5 * 60_000), NOW)).toBe("5 min ago");
    expect(ago(later(-3 * 3600_000), NOW)).toBe("3 h ago");
    expect(ago(later(-30 * 3600_000), NOW)).toBe("yesterday");
    expect(untilUtcMidnight(NOW)).toBe("4 h 0 min");
  });

  test("quota and the token's user", () => {
    expect(quotaText({ daily_limit: 3, today_matches: 1 })).toBe("2 of 3 free matches left today.");
    expect(quotaText({ daily_limit: 3, today_matches: 5 })).toBe("0 of 3 free matches left today.");
    expect(quotaText({ daily_limit: null, today_matches: 9 })).toBe("Premium: as many matches as you like.");
    expect(tokenUserId(signToken("x".repeat(32), 4242, 60))).toBe(4242);
    expect(tokenUserId("nonsense")).toBeNull();
  });
});
