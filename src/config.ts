// Environment and flags → one typed, frozen Config, parsed once at start; a bad value names its variable.
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export interface Config {
  readonly port: number;
  readonly host: string;
  /** PostgreSQL to use; null runs the embedded PGlite in `dataDir`. */
  readonly databaseUrl: string | null;
  /** Where the embedded database and its generated JWT secret live (absolute). */
  readonly dataDir: string;
  readonly dbPoolSize: number;
  readonly jwtSecret: string;
  readonly jwtTtlSeconds: number;
  readonly adminToken: string | null;
  readonly telegramBotToken: string | null;
  /**
   * Demo sign-in for the web page (POST /api/demo/token mints a token for any user id): DEMO=1, and
   * on by default with the embedded database (no DATABASE_URL), where the page is a way to try it.
   */
  readonly demo: boolean;
  /** With a Redis URL, socket events and presence cross processes. */
  readonly redisUrl: string | null;
  /** Prefix of every Redis key and channel, so several deployments can share one Redis. */
  readonly redisPrefix: string;
  readonly unlockThresholds: readonly [number, number, number, number];
  readonly dailyMatchLimit: number;
  readonly matchLifetimeHours: number;
  readonly extendCostCoins: number;
  readonly sweepIntervalSeconds: number;
  /** On SIGTERM/SIGINT, how long in-flight work may take before the process exits anyway. */
  readonly shutdownTimeoutSeconds: number;
  /** One JSON line per request (method, route, status, duration, request id). */
  readonly logRequests: boolean;
  /** Requests per minute: messages per user, find-match per user, Telegram sign-ins per IP; 0 = off. */
  readonly rateLimits: {
    readonly sendsPerMinute: number;
    readonly findMatchesPerMinute: number;
    readonly authPerMinute: number;
  };
}

/** Thrown for the first bad variable; its message is the one line printed before exiting. */
export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function optional(env: Env, name: string): string | null {
  const raw = env[name]?.trim();
  return raw ? raw : null;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = optional(env, name);
  if (raw === null) return fallback;
  if (raw === "1" || raw === "true") return true;
  if (raw === "0" || raw === "false") return false;
  throw new ConfigError(`${name} must be 1 or 0 (true or false), got "${raw}"`);
}

function required(env: Env, name: string, hint: string): string {
  const raw = optional(env, name);
  if (raw === null) throw new ConfigError(`${name} is required: ${hint}`);
  return raw;
}

function thresholds(env: Env): Config["unlockThresholds"] {
  const name = "UNLOCK_THRESHOLDS";
  const raw = env[name];
  if (raw === undefined || raw === "") return [20, 60, 100, 150];
  const parts = raw.split(",").map((part) => part.trim());
  const values = parts.map(Number);
  const valid =
    values.length === 4 &&
    parts.every((part) => /^\d+$/.test(part)) &&
    values[0]! >= 1 &&
    values.every((value, i) => i === 0 || value > values[i - 1]!);
  if (!valid) {
    throw new ConfigError(`${name} must be four increasing positive integers like "20,60,100,150", got "${raw}"`);
  }
  return values as unknown as Config["unlockThresholds"];
}

function databaseUrl(env: Env): string | null {
  const raw = optional(env, "DATABASE_URL");
  if (raw === null) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError("DATABASE_URL is not a valid URL");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new ConfigError(`DATABASE_URL must start with postgres:// or postgresql://, got "${url.protocol}//"`);
  }
  return raw;
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = optional(env, name);
  if (raw === null) return fallback;
  if (raw === "1" || raw === "true") return true;
  if (raw === "0" || raw === "false") return false;
  throw new ConfigError(`${name} must be 1 or 0, got "${raw}"`);
}

/** The file holding the secret generated for the embedded database's tokens. */
export const GENERATED_SECRET_FILE = "jwt-secret";

/**
 * With PostgreSQL, JWT_SECRET is required (processes sharing a database must share it). On the
 * embedded database it may be left out: one is generated once and kept in DATA_DIR (mode 0600).
 */
function jwtSecret(env: Env, embedded: boolean, dataDir: string): string {
  const given = optional(env, "JWT_SECRET");
  if (given === null && embedded) return generatedSecret(dataDir);
  const secret = required(env, "JWT_SECRET", "at least 32 characters used to sign HS256 tokens");
  if (secret.length < 32) throw new ConfigError("JWT_SECRET must be at least 32 characters long");
  return secret;
}

function generatedSecret(dataDir: string): string {
  const path = join(dataDir, GENERATED_SECRET_FILE);
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    try {
      writeFileSync(path, `${randomBytes(48).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const secret = readFileSync(path, "utf8").trim();
    if (secret.length < 32) throw new Error(`${path} holds fewer than 32 characters`);
    chmodSync(path, 0o600);
    return secret;
  } catch (error) {
    throw new ConfigError(`DATA_DIR: cannot keep the generated JWT secret in ${path}: ${(error as Error).message}`);
  }
}

function redisUrl(env: Env): string | null {
  const raw = optional(env, "REDIS_URL");
  if (raw === null) return null;
  if (!/^(redis|rediss|valkey|valkeys):\/\/./.test(raw)) {
    throw new ConfigError("REDIS_URL must start with redis://, rediss://, valkey:// or valkeys://");
  }
  return raw;
}

function redisPrefix(env: Env): string {
  const raw = optional(env, "REDIS_PREFIX") ?? "mystery-match";
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(raw)) {
    throw new ConfigError("REDIS_PREFIX must be 1 to 64 letters, digits or _ . : -");
  }
  return raw;
}

/**
 * Reads the configuration once. `flags` are command-line values by variable name (`--port 8080`
 * arrives as PORT) and win over the environment.
 */
export function loadConfig(environment: Env = process.env, flags: Env = {}): Config {
  const env: Env = { ...environment, ...flags };
  const url = databaseUrl(env);
  const dataDir = resolve(optional(env, "DATA_DIR") ?? "data");
  return Object.freeze({
    port: integer(env, "PORT", 3000, 0, 65535),
    host: optional(env, "HOST") ?? "0.0.0.0",
    databaseUrl: url,
    dataDir,
    dbPoolSize: integer(env, "DB_POOL_SIZE", 10, 2, 1000),
    jwtSecret: jwtSecret(env, url === null, dataDir),
    jwtTtlSeconds: integer(env, "JWT_TTL_SECONDS", 24 * 3600, 60, 365 * 24 * 3600),
    adminToken: optional(env, "ADMIN_TOKEN"),
    telegramBotToken: optional(env, "TELEGRAM_BOT_TOKEN"),
    demo: flag(env, "DEMO", url === null),
    redisUrl: redisUrl(env),
    redisPrefix: redisPrefix(env),
    unlockThresholds: Object.freeze(thresholds(env)),
    dailyMatchLimit: integer(env, "DAILY_MATCH_LIMIT", 3, 1, 1000),
    matchLifetimeHours: integer(env, "MATCH_LIFETIME_HOURS", 48, 1, 24 * 365),
    extendCostCoins: integer(env, "EXTEND_COST_COINS", 50, 0, 1_000_000),
    sweepIntervalSeconds: integer(env, "SWEEP_INTERVAL_SECONDS", 30, 1, 3600),
    shutdownTimeoutSeconds: integer(env, "SHUTDOWN_TIMEOUT_SECONDS", 10, 1, 3600),
    logRequests: onOff(env, "LOG_REQUESTS", true),
    rateLimits: Object.freeze({
      sendsPerMinute: integer(env, "RATE_LIMIT_SENDS_PER_MINUTE", 60, 0, 100_000),
      findMatchesPerMinute: integer(env, "RATE_LIMIT_FIND_MATCH_PER_MINUTE", 10, 0, 100_000),
      authPerMinute: integer(env, "RATE_LIMIT_AUTH_PER_MINUTE", 30, 0, 100_000),
    }),
  });
}
