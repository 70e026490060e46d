// Every setting the config reads, with its default and meaning: drives --help and the command-line flags.

export interface Setting {
  /** The environment variable; its flag is the kebab-case form (DATABASE_URL → --database-url). */
  readonly name: string;
  readonly fallback: string;
  readonly help: string;
}

export const SETTINGS: readonly Setting[] = [
  { name: "DATABASE_URL", fallback: "unset", help: "PostgreSQL URL; unset runs the embedded database in DATA_DIR" },
  { name: "DATA_DIR", fallback: "./data", help: "embedded database and its generated JWT secret" },
  { name: "JWT_SECRET", fallback: "generated", help: "HS256 secret, ≥ 32 characters; required with DATABASE_URL" },
  { name: "PORT", fallback: "3000", help: "HTTP port (0 picks a free one)" },
  { name: "HOST", fallback: "0.0.0.0", help: "interface to listen on" },
  { name: "DB_POOL_SIZE", fallback: "10", help: "PostgreSQL connections per process" },
  { name: "JWT_TTL_SECONDS", fallback: "86400", help: "lifetime of tokens from POST /api/auth/telegram" },
  { name: "TELEGRAM_BOT_TOKEN", fallback: "unset", help: "enables Telegram init data sign-in" },
  { name: "ADMIN_TOKEN", fallback: "unset", help: "operator token for /api/admin (disabled while unset)" },
  { name: "DEMO", fallback: "1 embedded, else 0", help: "the web page's demo sign-in: a token for any user id" },
  { name: "REDIS_URL", fallback: "unset", help: "share socket events, presence and rate limits across processes" },
  { name: "REDIS_PREFIX", fallback: "mystery-match", help: "prefix of every Redis key and channel" },
  { name: "UNLOCK_THRESHOLDS", fallback: "20,60,100,150", help: "message counts that open unlock levels 1–4" },
  { name: "DAILY_MATCH_LIMIT", fallback: "3", help: "matches a free user may request per UTC day" },
  { name: "MATCH_LIFETIME_HOURS", fallback: "48", help: "how long a new match lives" },
  { name: "EXTEND_COST_COINS", fallback: "50", help: "coins a free user pays to extend a match" },
  { name: "SWEEP_INTERVAL_SECONDS", fallback: "30", help: "how often expired matches and messages are swept" },
  { name: "RATE_LIMIT_SENDS_PER_MINUTE", fallback: "60", help: "messages per user per minute (0 = off)" },
  { name: "RATE_LIMIT_FIND_MATCH_PER_MINUTE", fallback: "10", help: "find-match calls per user per minute (0 = off)" },
  { name: "RATE_LIMIT_AUTH_PER_MINUTE", fallback: "30", help: "Telegram sign-ins per address per minute (0 = off)" },
  { name: "LOG_REQUESTS", fallback: "1", help: "0 turns off the JSON line logged for each request" },
  { name: "SHUTDOWN_TIMEOUT_SECONDS", fallback: "10", help: "on SIGTERM, how long in-flight work may take" },
];

/** DATABASE_URL → database-url */
export const flagOf = (name: string): string => name.toLowerCase().replaceAll("_", "-");
