// `token <user_id> [--ttl 24h]`: prints a bearer token signed with the configured secret.
import { loadConfig } from "../config";
import { parseUserId, signToken } from "../modules/auth/jwt";
import { parseCommand, UsageError } from "./args";

const USAGE = "usage: token <user_id> [--ttl 24h]  (ttl: seconds, or a number with s, m, h or d)";
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "90" or "90s", "15m", "24h", "7d" → seconds (1 s to 366 days). */
export function parseTtl(raw: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(raw.trim());
  const seconds = match ? Number(match[1]) * UNITS[match[2] || "s"]! : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > 366 * 86400) {
    throw new UsageError(`token: --ttl must be like 3600, 90s, 15m, 24h or 7d (at most 366d), got "${raw}"`);
  }
  return seconds;
}

export async function tokenCommand(args: string[]): Promise<void> {
  const { flags, values, positionals } = parseCommand(args, { ttl: { type: "string" } });
  if (positionals.length !== 1) throw new UsageError(USAGE);
  const userId = parseUserId(positionals[0]);
  if (userId === null) throw new UsageError(`token: user_id must be a positive integer, got "${positionals[0]}"`);
  const ttl = parseTtl(typeof values.ttl === "string" ? values.ttl : "24h");
  const config = loadConfig(process.env, flags);
  console.log(signToken(config.jwtSecret, userId, ttl));
}
