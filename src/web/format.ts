// Pure formatting helpers of the page (no DOM): times, counts, names and unlocks as people read them.
import { REVEALS } from "../modules/profiles/reveals";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** "47 h 12 min left", "9 min left", "less than a minute left", or "expired". */
export function timeLeft(expiresAt: string | Date, now = new Date()): string {
  const ms = new Date(expiresAt).getTime() - now.getTime();
  if (ms <= 0) return "expired";
  if (ms < MINUTE) return "less than a minute left";
  const hours = Math.floor(ms / HOUR);
  const minutes = Math.floor((ms % HOUR) / MINUTE);
  return hours > 0 ? `${hours} h ${minutes} min left` : `${minutes} min left`;
}

/** A countdown as m:ss (or h:mm:ss), never negative. */
export function countdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago". */
export function ago(at: string | Date, now = new Date()): string {
  const ms = Math.max(0, now.getTime() - new Date(at).getTime());
  if (ms < MINUTE) return "just now";
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)} min ago`;
  if (ms < 24 * HOUR) return `${Math.floor(ms / HOUR)} h ago`;
  const days = Math.floor(ms / (24 * HOUR));
  return days === 1 ? "yesterday" : `${days} days ago`;
}

/** The time until the next UTC midnight, when the daily match quota resets: "5 h 12 min". */
export function untilUtcMidnight(now = new Date()): string {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return timeLeft(new Date(midnight), now).replace(/ left$/, "");
}

/** "1 message" / "5 messages". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** The quota line under "Find a match". */
export function quotaText(stats: { daily_limit: number | null; today_matches: number }): string {
  if (stats.daily_limit === null) return "Premium: as many matches as you like.";
  const left = Math.max(0, stats.daily_limit - stats.today_matches);
  return `${left} of ${stats.daily_limit} free matches left today.`;
}

/** What unlock level `level` reveals, in words: "age and city". */
export function revealedAt(level: number): string {
  return REVEALS[level]?.says ?? "more";
}

/** Reads the user id (`sub`) of a JWT without verifying it: the server verifies; the page only labels. */
export function tokenUserId(token: string): number | null {
  const payload = token.split(".")[1];
  if (!payload) return null;
  try {
    const json = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as { sub?: unknown };
    const id = Number(json.sub);
    return Number.isSafeInteger(id) && id > 0 ? id : null;
  } catch {
    return null;
  }
}
