// Every setting, written once: its variable, default, help and check. loadConfig, --help and the flags read this table.
import { availableParallelism } from "node:os";

/** Thrown for the first bad variable; its message is the one line printed before exiting. */
export class ConfigError extends Error {}

interface Setting<T> {
  /** The default, as --help shows it. */
  readonly fallback: string;
  readonly help: string;
  /**
   * The value of the variable `name` from its trimmed text `raw`: undefined when unset or blank, which
   * gives the default. `embedded` (no DATABASE_URL) is for the defaults that depend on the database.
   * A value the setting refuses throws a ConfigError naming the variable.
   */
  readonly read: (raw: string | undefined, name: string, embedded: boolean) => T;
}

/** The most worker processes `serve --workers` starts. */
export const MAX_WORKERS = 256;

/** The shortest JWT_SECRET accepted, given or generated. */
export const SECRET_MIN_CHARS = 32;

/** The shortest ADMIN_TOKEN `serve` starts with (see checkServeConfig in config.ts). */
export const ADMIN_TOKEN_MIN_CHARS = 32;

/** A whole number from `min` to `max`, both included, written in digits only (no sign, point or exponent). */
function integer(fallback: number, min: number, max: number, help: string): Setting<number> {
  return {
    fallback: String(fallback),
    help,
    read: (raw, name) => {
      if (raw === undefined) return fallback;
      const value = Number(raw);
      if (!/^\d+$/.test(raw) || value < min || value > max) {
        throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      }
      return value;
    },
  };
}

/** 1 or true, 0 or false, else a ConfigError naming the variable. */
function readFlag(raw: string, name: string): boolean {
  if (raw === "1" || raw === "true") return true;
  if (raw === "0" || raw === "false") return false;
  throw new ConfigError(`${name} must be 1 or 0 (true or false), got "${raw}"`);
}

/** 1 or true, 0 or false. */
function flag(fallback: boolean, help: string): Setting<boolean> {
  return {
    fallback: fallback ? "1" : "0",
    help,
    read: (raw, name) => (raw === undefined ? fallback : readFlag(raw, name)),
  };
}

/** Any text, else `fallback` (null: what it enables stays off); with a `rule`, only text matching its pattern. */
function text<F extends string | null>(
  fallback: F,
  help: string,
  rule?: { pattern: RegExp; says: string },
): Setting<string | F> {
  return {
    fallback: fallback ?? "unset",
    help,
    read: (raw, name) => {
      if (raw === undefined) return fallback;
      if (rule && !rule.pattern.test(raw)) throw new ConfigError(`${name} must be ${rule.says}`);
      return raw;
    },
  };
}

/**
 * A URL with one of `schemes`, else `fallback` (null unless given). A refused URL is not echoed, only its scheme: the rest
 * may hold a password.
 */
function url<F extends string | null = null>(
  schemes: readonly string[],
  help: string,
  fallback: F = null as F,
): Setting<string | F> {
  const prefixes = schemes.map((scheme) => `${scheme}://`);
  const expected = prefixes.length === 1 ? prefixes[0] : `${prefixes.slice(0, -1).join(", ")} or ${prefixes.at(-1)}`;
  return {
    fallback: fallback ?? "unset",
    help,
    read: (raw, name) => {
      if (raw === undefined) return fallback;
      let protocol: string;
      try {
        protocol = new URL(raw).protocol;
      } catch {
        throw new ConfigError(`${name} is not a valid URL`);
      }
      if (!schemes.includes(protocol.slice(0, -1))) {
        throw new ConfigError(`${name} must start with ${expected}, got "${protocol}//"`);
      }
      return raw;
    },
  };
}

/** One or several URLs of `schemes`, comma-separated, each checked as url() checks one; the value is them joined by commas. */
function urls(schemes: readonly string[], help: string): Setting<string | null> {
  const one = url(schemes, help);
  return {
    fallback: one.fallback,
    help,
    read: (raw, name, embedded) => {
      if (raw === undefined) return null;
      const parts = raw.split(",").map((part) => part.trim());
      if (parts.some((part) => part === "")) throw new ConfigError(`${name} lists an empty URL (a stray comma)`);
      if (new Set(parts).size !== parts.length) throw new ConfigError(`${name} lists the same URL twice`);
      return parts.map((part) => one.read(part, name, embedded)).join(",");
    },
  };
}

/** Workers of `serve --workers`: a count, or "auto" for one per core; unset runs one process. */
function workers(help: string): Setting<number | null> {
  return {
    fallback: "unset",
    help,
    read: (raw, name) => {
      if (raw === undefined) return null;
      if (raw === "auto") return availableParallelism();
      const value = Number(raw);
      if (!/^\d+$/.test(raw) || value < 1 || value > MAX_WORKERS) {
        throw new ConfigError(`${name} must be auto or an integer from 1 to ${MAX_WORKERS}, got "${raw}"`);
      }
      return value;
    },
  };
}

type Thresholds = readonly [number, number, number, number];

/** Four increasing positive integers, comma-separated; the value is frozen. */
function thresholds(fallback: Thresholds, help: string): Setting<Thresholds> {
  const shown = fallback.join(",");
  return {
    fallback: shown,
    help,
    read: (raw, name) => {
      if (raw === undefined) return Object.freeze(fallback);
      const parts = raw.split(",").map((part) => part.trim());
      const values = parts.map(Number);
      const valid =
        values.length === 4 &&
        parts.every((part) => /^\d+$/.test(part)) &&
        values[0]! >= 1 &&
        values.every((value, i) => i === 0 || value > values[i - 1]!);
      if (!valid)
        throw new ConfigError(`${name} must be four increasing positive integers like "${shown}", got "${raw}"`);
      return Object.freeze(values as unknown as Thresholds);
    },
  };
}

/** A coin pack of the catalog: `coins` for `stars` Telegram Stars. */
export interface CoinPack {
  readonly coins: number;
  readonly stars: number;
}

/** The most Stars one invoice may ask for (Telegram's limit on a Stars price). */
export const MAX_STARS_PRICE = 10_000;

/** Coin packs as coins:stars, comma-separated (at most 10, different coin amounts); the value is frozen. */
function coinPacks(fallback: readonly CoinPack[], help: string): Setting<readonly CoinPack[]> {
  const shown = fallback.map((pack) => `${pack.coins}:${pack.stars}`).join(",");
  return {
    fallback: shown,
    help,
    read: (raw, name) => {
      if (raw === undefined) return Object.freeze(fallback.map((pack) => Object.freeze({ ...pack })));
      const packs = raw.split(",").map((part) => /^\s*([1-9]\d{0,6}):([1-9]\d{0,4})\s*$/.exec(part));
      const values = packs.map((found) => found && { coins: Number(found[1]), stars: Number(found[2]) });
      const valid =
        values.length <= 10 &&
        values.every((pack) => pack !== null && pack.coins <= 1_000_000 && pack.stars <= MAX_STARS_PRICE) &&
        new Set(values.map((pack) => pack?.coins)).size === values.length;
      if (!valid) {
        throw new ConfigError(
          `${name} must be up to 10 coins:stars pairs like "${shown}" (coins 1 to 1000000, each amount once; stars 1 to ${MAX_STARS_PRICE}), got "${raw}"`,
        );
      }
      return Object.freeze(values.map((pack) => Object.freeze(pack!)));
    },
  };
}

/**
 * With PostgreSQL, JWT_SECRET is required (processes sharing a database must share it). On the
 * embedded database it may be left out: null, and loadConfig generates one kept in DATA_DIR.
 */
const jwtSecret: Setting<string | null> = {
  fallback: "generated",
  help: `HS256 secret, ≥ ${SECRET_MIN_CHARS} characters; required with DATABASE_URL`,
  read: (raw, name, embedded) => {
    if (raw === undefined) {
      if (embedded) return null;
      throw new ConfigError(`${name} is required: at least ${SECRET_MIN_CHARS} characters used to sign HS256 tokens`);
    }
    if (raw.length < SECRET_MIN_CHARS)
      throw new ConfigError(`${name} must be at least ${SECRET_MIN_CHARS} characters long`);
    return raw;
  },
};

/** The embedded database is for one machine: it listens on loopback unless told otherwise. */
const host: Setting<string> = {
  fallback: "127.0.0.1 embedded, else 0.0.0.0",
  help: "interface to listen on (0.0.0.0: every interface)",
  read: (raw, _name, embedded) => raw ?? (embedded ? "127.0.0.1" : "0.0.0.0"),
};

/**
 * DEMO given, or null: then loadConfig turns the demo sign-in on only for the embedded database
 * listening on a loopback address only.
 */
const demo: Setting<boolean | null> = {
  fallback: "1 embedded with a loopback HOST, else 0",
  help: "the web page's demo sign-in: anyone who reaches the server gets a token for any user id",
  read: (raw, name) => (raw === undefined ? null : readFlag(raw, name)),
};

/**
 * Every setting by its environment variable, in the order --help lists them. A variable's flag is
 * its kebab-case form (DATABASE_URL → --database-url).
 */
export const SETTINGS = {
  DATABASE_URL: url(["postgres", "postgresql"], "PostgreSQL URL; unset runs the embedded database in DATA_DIR"),
  DATA_DIR: text("./data", "embedded database and its generated JWT secret"),
  JWT_SECRET: jwtSecret,
  PORT: integer(3000, 0, 65535, "HTTP port (0 picks a free one)"),
  HOST: host,
  DB_POOL_SIZE: integer(10, 2, 1000, "PostgreSQL connections per process"),
  JWT_TTL_SECONDS: integer(24 * 3600, 60, 365 * 24 * 3600, "lifetime of tokens from POST /api/auth/telegram"),
  TELEGRAM_BOT_TOKEN: text(
    null,
    "enables Telegram init data sign-in and, with TELEGRAM_WEBHOOK_SECRET, the bot's webhook",
  ),
  TELEGRAM_WEBHOOK_SECRET: text(null, "secret Telegram sends with every update; enables POST /api/telegram/webhook", {
    pattern: /^[A-Za-z0-9_-]{16,256}$/,
    says: "16 to 256 letters, digits, _ or - (what Telegram allows in secret_token)",
  }),
  TELEGRAM_API_URL: url(["https", "http"], "the Telegram Bot API server", "https://api.telegram.org"),
  PUBLIC_URL: url(["https"], "the web page's public https address: the bot's Mini App button opens it"),
  TELEGRAM_MAX_PER_SECOND: integer(25, 1, 1000, "notifications the bot sends per second at most, over all processes"),
  ADMIN_TOKEN: text(
    null,
    `operator token for /api/admin, ≥ ${ADMIN_TOKEN_MIN_CHARS} characters (disabled while unset)`,
  ),
  DEMO: demo,
  TRUST_PROXY: flag(
    false,
    "1: behind a proxy, the client address is the last hop of X-Forwarded-For (for the per-address limits)",
  ),
  REDIS_URL: urls(
    ["redis", "rediss", "valkey", "valkeys"],
    "share socket events, presence and rate limits across processes; several servers comma-separated (keys and channels spread over them by hash)",
  ),
  WORKERS: workers(
    "serve: N worker processes on one port (auto = one per core), supervised by one parent; needs DATABASE_URL",
  ),
  REDIS_PREFIX: text("mystery-match", "prefix of every Redis key and channel", {
    pattern: /^[A-Za-z0-9_.:-]{1,64}$/,
    says: "1 to 64 letters, digits or _ . : -",
  }),
  S3_BUCKET: text(null, "keep photo renditions in this S3-compatible bucket instead of the database"),
  S3_ENDPOINT: url(["https", "http"], "the S3-compatible service (unset: AWS S3 for S3_REGION)"),
  S3_REGION: text(null, "the bucket's region (unset: us-east-1, or Bun's AWS_REGION)"),
  S3_ACCESS_KEY_ID: text(null, "the S3 access key id (unset: Bun's AWS_ACCESS_KEY_ID)"),
  S3_SECRET_ACCESS_KEY: text(null, "the S3 secret access key (unset: Bun's AWS_SECRET_ACCESS_KEY)"),
  UNLOCK_THRESHOLDS: thresholds([20, 60, 100, 150], "message counts that open unlock levels 1–4"),
  CONTACT_UNLOCK_LEVEL: integer(
    4,
    0,
    4,
    "unlock level a match needs before messages may carry contact details (0 = always)",
  ),
  DAILY_MATCH_LIMIT: integer(3, 1, 1000, "matches a free user may request per UTC day"),
  MATCH_ACTIVE_DAYS: integer(14, 1, 3650, "only users active within this many days are matched"),
  MATCH_LIFETIME_HOURS: integer(48, 1, 24 * 365, "how long a new match lives"),
  EXTEND_COST_COINS: integer(50, 0, 1_000_000, "coins a free user pays to extend a match"),
  COIN_PACKS: coinPacks(
    [
      { coins: 100, stars: 50 },
      { coins: 550, stars: 250 },
      { coins: 1200, stars: 500 },
    ],
    "coin packs sold for Telegram Stars, as coins:stars",
  ),
  PREMIUM_MONTH_STARS: integer(250, 1, MAX_STARS_PRICE, "price in Telegram Stars of Premium, a 30-day subscription"),
  SWEEP_INTERVAL_SECONDS: integer(30, 1, 3600, "how often expired matches and messages are swept"),
  RATE_LIMIT_SENDS_PER_MINUTE: integer(60, 0, 100_000, "messages per user per minute, sustained (0 = off)"),
  RATE_LIMIT_SENDS_BURST: integer(20, 1, 100_000, "messages a user may send at once before the sustained rate applies"),
  RATE_LIMIT_FIND_MATCH_PER_MINUTE: integer(10, 0, 100_000, "find-match calls per user per minute (0 = off)"),
  RATE_LIMIT_AUTH_PER_MINUTE: integer(
    30,
    0,
    100_000,
    "failed Telegram sign-ins per client address per minute; successes never count (0 = off)",
  ),
  RATE_LIMIT_BLOCKS_PER_MINUTE: integer(30, 0, 100_000, "blocks and unblocks per user per minute (0 = off)"),
  RATE_LIMIT_REPORTS_PER_MINUTE: integer(10, 0, 100_000, "reports per user per minute (0 = off)"),
  RATE_LIMIT_SOCKETS_PER_MINUTE: integer(30, 0, 100_000, "socket upgrades per user per minute (0 = off)"),
  AUTO_BAN_MIN_ACCOUNT_AGE_HOURS: integer(
    24,
    0,
    24 * 365,
    "a reporter's profile must be this old for a report to count toward a ban",
  ),
  MAX_SOCKETS_PER_USER: integer(8, 1, 1000, "open sockets per user and process; one more closes their oldest (4409)"),
  LOG_REQUESTS: flag(true, "0 turns off the line logged for each request"),
  LOG_FORMAT: text("auto", "log lines: json, text (readable), or auto (text on a terminal, else json)", {
    pattern: /^(auto|json|text)$/,
    says: "auto, json or text",
  }),
  SHUTDOWN_TIMEOUT_SECONDS: integer(10, 1, 3600, "on SIGTERM, how long in-flight work may take"),
} satisfies Record<string, Setting<unknown>>;

/** DATABASE_URL → database-url */
export const flagOf = (name: string): string => name.toLowerCase().replaceAll("_", "-");
