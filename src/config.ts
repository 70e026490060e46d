// Environment and flags → one typed, frozen Config, read once at start through the table in settings.ts.
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { LogFormat } from "./log";
import { ADMIN_TOKEN_MIN_CHARS, type CoinPack, ConfigError, SECRET_MIN_CHARS, SETTINGS } from "./settings";

export { ConfigError };

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
  /** The secret_token given to setWebhook; with the bot token, POST /api/telegram/webhook exists. */
  readonly telegramWebhookSecret: string | null;
  /** The Bot API server, without the /bot<token>/ part (the fake one in tests). */
  readonly telegramApiUrl: string;
  /** The web page's public https address, opened by the bot's Mini App buttons. */
  readonly publicUrl: string | null;
  /** Notifications sent per second at most, over every process (one chat gets one per second at most). */
  readonly telegramMaxPerSecond: number;
  /**
   * Demo sign-in for the web page (POST /api/demo/token mints a token for any user id): DEMO=1, or
   * by default on the embedded database (no DATABASE_URL) listening on a loopback address only, where
   * nobody but this machine can reach it.
   */
  readonly demo: boolean;
  /**
   * Behind a proxy: the client address of the per-address limits is the last hop of
   * X-Forwarded-For (the address the proxy saw) instead of the connection's.
   */
  readonly trustProxy: boolean;
  /** With a Redis URL, socket events and presence cross processes. */
  readonly redisUrl: string | null;
  /** Prefix of every Redis key and channel, so several deployments can share one Redis. */
  readonly redisPrefix: string;
  /** `serve`: how many worker processes to start on one port (null: this process serves alone). */
  readonly workers: number | null;
  /** With S3_BUCKET, photo renditions live in that S3-compatible bucket; null keeps them in the database. */
  readonly s3: {
    readonly bucket: string;
    readonly endpoint: string | null;
    readonly region: string | null;
    readonly accessKeyId: string | null;
    readonly secretAccessKey: string | null;
  } | null;
  readonly unlockThresholds: readonly [number, number, number, number];
  /** The match's own unlock level (premium viewers do not change it) from which messages may carry contact details. */
  readonly contactUnlockLevel: number;
  readonly dailyMatchLimit: number;
  readonly matchActiveDays: number;
  readonly matchLifetimeHours: number;
  readonly extendCostCoins: number;
  /** The coin packs the catalog sells, and the Stars price of a 30-day Premium subscription. */
  readonly coinPacks: readonly CoinPack[];
  readonly premiumMonthStars: number;
  readonly sweepIntervalSeconds: number;
  /** On SIGTERM/SIGINT, how long in-flight work may take before the process exits anyway. */
  readonly shutdownTimeoutSeconds: number;
  /** One JSON line per request (method, route, status, duration, request id). */
  readonly logRequests: boolean;
  /** How log lines look: JSON, readable text, or text on a terminal and JSON otherwise (log.ts). */
  readonly logFormat: LogFormat;
  /** A reporter's profile must be this many hours old for their report to count toward the automatic ban. */
  readonly autoBanMinAccountAgeHours: number;
  /** Sockets one user may hold open on this process; opening one more closes their oldest. */
  readonly maxSocketsPerUser: number;
  /** Requests per minute: messages per user, find-match per user, Telegram sign-ins per IP; 0 = off. */
  readonly rateLimits: {
    readonly sendsPerMinute: number;
    readonly sendsBurst: number;
    readonly findMatchesPerMinute: number;
    readonly authPerMinute: number;
    readonly blocksPerMinute: number;
    readonly reportsPerMinute: number;
    readonly socketsPerMinute: number;
  };
}

type Env = Record<string, string | undefined>;

/** Every setting's value, by its variable. */
type Values = { readonly [N in keyof typeof SETTINGS]: ReturnType<(typeof SETTINGS)[N]["read"]> };

/**
 * Whether listening on `host` reaches this machine only: localhost, 127.0.0.0/8 or ::1 (also written
 * as an IPv4-mapped address). Any other name or address, 0.0.0.0 and :: included, may be reachable
 * from elsewhere.
 */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  if (name === "localhost" || name === "::1" || name === "0:0:0:0:0:0:0:1") return true;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  return v4?.[1] === "127" && v4.slice(1).every((part) => Number(part) <= 255);
}

/**
 * What `serve` needs beyond loadConfig: an ADMIN_TOKEN long enough that guessing it is hopeless
 * (failed attempts are also limited per address). Throws a ConfigError naming the variable.
 */
export function checkServeConfig(config: Config): void {
  if (config.adminToken !== null && config.adminToken.length < ADMIN_TOKEN_MIN_CHARS) {
    throw new ConfigError(`ADMIN_TOKEN must be at least ${ADMIN_TOKEN_MIN_CHARS} characters long`);
  }
}

/** The file holding the secret generated for the embedded database's tokens. */
export const GENERATED_SECRET_FILE = "jwt-secret";

/** The secret in DATA_DIR, written once (mode 0600) the first time the embedded database runs without JWT_SECRET. */
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
    if (secret.length < SECRET_MIN_CHARS) throw new Error(`${path} holds fewer than ${SECRET_MIN_CHARS} characters`);
    chmodSync(path, 0o600);
    return secret;
  } catch (error) {
    throw new ConfigError(`DATA_DIR: cannot keep the generated JWT secret in ${path}: ${(error as Error).message}`);
  }
}

/**
 * Reads the configuration once. `flags` are command-line values by variable name (`--port 8080`
 * arrives as PORT) and win over the environment. A blank value counts as unset; the database is
 * embedded when DATABASE_URL is unset.
 */
export function loadConfig(environment: Env = process.env, flags: Env = {}): Config {
  const given = (name: string) => (flags[name] ?? environment[name])?.trim() || undefined;
  const embedded = given("DATABASE_URL") === undefined;
  const values = Object.fromEntries(
    Object.entries(SETTINGS).map(([name, setting]) => [name, setting.read(given(name), name, embedded)]),
  ) as Values;
  const dataDir = resolve(values.DATA_DIR);
  const demo = values.DEMO ?? (embedded && isLoopbackHost(values.HOST));
  const s3Rest = ["S3_ENDPOINT", "S3_REGION", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"] as const;
  const stray = s3Rest.find((name) => values[name] !== null);
  if (values.S3_BUCKET === null && stray) throw new ConfigError(`${stray} is set but S3_BUCKET is not`);
  return Object.freeze({
    port: values.PORT,
    host: values.HOST,
    databaseUrl: values.DATABASE_URL,
    dataDir,
    dbPoolSize: values.DB_POOL_SIZE,
    jwtSecret: values.JWT_SECRET ?? generatedSecret(dataDir),
    jwtTtlSeconds: values.JWT_TTL_SECONDS,
    adminToken: values.ADMIN_TOKEN,
    telegramBotToken: values.TELEGRAM_BOT_TOKEN,
    telegramWebhookSecret: values.TELEGRAM_WEBHOOK_SECRET,
    telegramApiUrl: values.TELEGRAM_API_URL,
    publicUrl: values.PUBLIC_URL,
    telegramMaxPerSecond: values.TELEGRAM_MAX_PER_SECOND,
    demo,
    trustProxy: values.TRUST_PROXY,
    redisUrl: values.REDIS_URL,
    redisPrefix: values.REDIS_PREFIX,
    workers: values.WORKERS,
    s3:
      values.S3_BUCKET === null
        ? null
        : Object.freeze({
            bucket: values.S3_BUCKET,
            endpoint: values.S3_ENDPOINT,
            region: values.S3_REGION,
            accessKeyId: values.S3_ACCESS_KEY_ID,
            secretAccessKey: values.S3_SECRET_ACCESS_KEY,
          }),
    unlockThresholds: values.UNLOCK_THRESHOLDS,
    contactUnlockLevel: values.CONTACT_UNLOCK_LEVEL,
    dailyMatchLimit: values.DAILY_MATCH_LIMIT,
    matchActiveDays: values.MATCH_ACTIVE_DAYS,
    matchLifetimeHours: values.MATCH_LIFETIME_HOURS,
    extendCostCoins: values.EXTEND_COST_COINS,
    coinPacks: values.COIN_PACKS,
    premiumMonthStars: values.PREMIUM_MONTH_STARS,
    sweepIntervalSeconds: values.SWEEP_INTERVAL_SECONDS,
    shutdownTimeoutSeconds: values.SHUTDOWN_TIMEOUT_SECONDS,
    logRequests: values.LOG_REQUESTS,
    logFormat: values.LOG_FORMAT as LogFormat,
    autoBanMinAccountAgeHours: values.AUTO_BAN_MIN_ACCOUNT_AGE_HOURS,
    maxSocketsPerUser: values.MAX_SOCKETS_PER_USER,
    rateLimits: Object.freeze({
      sendsPerMinute: values.RATE_LIMIT_SENDS_PER_MINUTE,
      sendsBurst: values.RATE_LIMIT_SENDS_BURST,
      findMatchesPerMinute: values.RATE_LIMIT_FIND_MATCH_PER_MINUTE,
      authPerMinute: values.RATE_LIMIT_AUTH_PER_MINUTE,
      blocksPerMinute: values.RATE_LIMIT_BLOCKS_PER_MINUTE,
      reportsPerMinute: values.RATE_LIMIT_REPORTS_PER_MINUTE,
      socketsPerMinute: values.RATE_LIMIT_SOCKETS_PER_MINUTE,
    }),
  });
}
