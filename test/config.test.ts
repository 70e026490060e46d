// Unit tests of loadConfig: defaults, every rejected value naming its variable, and immutability.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ConfigError, checkServeConfig, loadConfig } from "../src/config";

const BASE = {
  DATABASE_URL: "postgres://user@127.0.0.1:5432/db",
  JWT_SECRET: "a-secret-of-at-least-32-characters!!",
};

/** The error loadConfig throws for this environment (fails the test when it does not throw). */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe("loadConfig: defaults", () => {
  test("only the required variables give the documented defaults", () => {
    expect(loadConfig({ ...BASE })).toEqual({
      port: 3000,
      host: "0.0.0.0",
      databaseUrl: BASE.DATABASE_URL,
      dataDir: resolve("data"),
      dbPoolSize: 10,
      jwtSecret: BASE.JWT_SECRET,
      jwtTtlSeconds: 86400,
      adminToken: null,
      redisUrl: null,
      redisPrefix: "mystery-match",
      workers: null,
      telegramBotToken: null,
      telegramWebhookSecret: null,
      telegramApiUrl: "https://api.telegram.org",
      publicUrl: null,
      telegramMaxPerSecond: 25,
      demo: false,
      s3: null,
      unlockThresholds: [20, 60, 100, 150],
      contactUnlockLevel: 4,
      dailyMatchLimit: 3,
      matchActiveDays: 14,
      matchLifetimeHours: 48,
      extendCostCoins: 50,
      coinPacks: [
        { coins: 100, stars: 50 },
        { coins: 550, stars: 250 },
        { coins: 1200, stars: 500 },
      ],
      premiumMonthStars: 250,
      sweepIntervalSeconds: 30,
      shutdownTimeoutSeconds: 10,
      logRequests: true,
      logFormat: "auto",
      autoBanMinAccountAgeHours: 24,
      maxSocketsPerUser: 8,
      trustProxy: false,
      rateLimits: {
        sendsPerMinute: 60,
        sendsBurst: 20,
        findMatchesPerMinute: 10,
        authPerMinute: 30,
        blocksPerMinute: 30,
        reportsPerMinute: 10,
        socketsPerMinute: 30,
      },
    });
  });

  test("the embedded database listens on 127.0.0.1 unless told; with DATABASE_URL on 0.0.0.0", () => {
    const embedded = { JWT_SECRET: BASE.JWT_SECRET, DATA_DIR: "/nonexistent/unused" };
    expect(loadConfig(embedded).host).toBe("127.0.0.1");
    expect(loadConfig({ ...embedded, HOST: " " }).host).toBe("127.0.0.1");
    expect(loadConfig({ ...embedded, HOST: "0.0.0.0" }).host).toBe("0.0.0.0");
    expect(loadConfig({ ...BASE }).host).toBe("0.0.0.0");
    expect(loadConfig({ ...BASE, HOST: "127.0.0.1" }).host).toBe("127.0.0.1");
  });

  test("empty and blank values count as unset", () => {
    const config = loadConfig({
      ...BASE,
      PORT: "",
      HOST: "",
      DB_POOL_SIZE: " ",
      UNLOCK_THRESHOLDS: "  ",
      DAILY_MATCH_LIMIT: "",
      MATCH_LIFETIME_HOURS: "",
      EXTEND_COST_COINS: "",
      COIN_PACKS: " ",
      PREMIUM_MONTH_STARS: "",
      SWEEP_INTERVAL_SECONDS: "",
      ADMIN_TOKEN: "",
      TELEGRAM_BOT_TOKEN: "   ",
      TRUST_PROXY: "",
    });
    expect(config).toEqual(loadConfig({ ...BASE }));
  });
});

describe("loadConfig: explicit values", () => {
  test("every variable is read", () => {
    expect(
      loadConfig({
        ...BASE,
        DATABASE_URL: "postgresql://u:p@db.example:6543/mm?sslmode=require",
        PORT: "8080",
        HOST: "127.0.0.1",
        DB_POOL_SIZE: "25",
        JWT_TTL_SECONDS: "600",
        ADMIN_TOKEN: " admin ",
        TELEGRAM_BOT_TOKEN: "123:abc",
        TELEGRAM_WEBHOOK_SECRET: "a-webhook-secret_0123",
        TELEGRAM_API_URL: "http://127.0.0.1:8081",
        PUBLIC_URL: "https://mm.example/app/",
        DEMO: "1",
        UNLOCK_THRESHOLDS: "5, 10, 15, 20",
        CONTACT_UNLOCK_LEVEL: "2",
        DAILY_MATCH_LIMIT: "7",
        MATCH_ACTIVE_DAYS: "30",
        MATCH_LIFETIME_HOURS: "72",
        EXTEND_COST_COINS: "0",
        COIN_PACKS: " 10:1, 20000:10000 ",
        PREMIUM_MONTH_STARS: "99",
        SWEEP_INTERVAL_SECONDS: "5",
        SHUTDOWN_TIMEOUT_SECONDS: "3",
        LOG_REQUESTS: "0",
        LOG_FORMAT: "text",
        MAX_SOCKETS_PER_USER: "3",
        AUTO_BAN_MIN_ACCOUNT_AGE_HOURS: "0",
        DATA_DIR: "/var/lib/mm",
        RATE_LIMIT_SENDS_PER_MINUTE: "0",
        RATE_LIMIT_FIND_MATCH_PER_MINUTE: "2",
        RATE_LIMIT_AUTH_PER_MINUTE: "100000",
        REDIS_URL: "redis://127.0.0.1:6379",
        WORKERS: "4",
        TRUST_PROXY: "1",
        TELEGRAM_MAX_PER_SECOND: "10",
        S3_BUCKET: "photos",
        S3_ENDPOINT: "http://127.0.0.1:9000",
        S3_REGION: "eu-central-1",
        S3_ACCESS_KEY_ID: "key-id",
        S3_SECRET_ACCESS_KEY: "key-secret",
      }),
    ).toEqual({
      port: 8080,
      host: "127.0.0.1",
      databaseUrl: "postgresql://u:p@db.example:6543/mm?sslmode=require",
      dataDir: "/var/lib/mm",
      dbPoolSize: 25,
      jwtSecret: BASE.JWT_SECRET,
      jwtTtlSeconds: 600,
      adminToken: "admin",
      telegramBotToken: "123:abc",
      telegramWebhookSecret: "a-webhook-secret_0123",
      telegramApiUrl: "http://127.0.0.1:8081",
      publicUrl: "https://mm.example/app/",
      telegramMaxPerSecond: 10,
      demo: true,
      redisUrl: "redis://127.0.0.1:6379",
      redisPrefix: "mystery-match",
      workers: 4,
      s3: {
        bucket: "photos",
        endpoint: "http://127.0.0.1:9000",
        region: "eu-central-1",
        accessKeyId: "key-id",
        secretAccessKey: "key-secret",
      },
      unlockThresholds: [5, 10, 15, 20],
      contactUnlockLevel: 2,
      dailyMatchLimit: 7,
      matchActiveDays: 30,
      matchLifetimeHours: 72,
      extendCostCoins: 0,
      coinPacks: [
        { coins: 10, stars: 1 },
        { coins: 20000, stars: 10000 },
      ],
      premiumMonthStars: 99,
      sweepIntervalSeconds: 5,
      shutdownTimeoutSeconds: 3,
      logRequests: false,
      logFormat: "text",
      autoBanMinAccountAgeHours: 0,
      maxSocketsPerUser: 3,
      trustProxy: true,
      rateLimits: {
        sendsPerMinute: 0,
        sendsBurst: 20,
        findMatchesPerMinute: 2,
        authPerMinute: 100000,
        blocksPerMinute: 30,
        reportsPerMinute: 10,
        socketsPerMinute: 30,
      },
    });
  });

  test("integer bounds are inclusive", () => {
    expect(loadConfig({ ...BASE, PORT: "65535", DB_POOL_SIZE: "2" })).toMatchObject({ port: 65535, dbPoolSize: 2 });
    expect(loadConfig({ ...BASE, PORT: "0", DB_POOL_SIZE: "1000" })).toMatchObject({ port: 0, dbPoolSize: 1000 });
  });
});

describe("loadConfig: bad values throw a ConfigError naming the variable", () => {
  test.each([
    ["PORT", { PORT: "abc" }],
    ["PORT", { PORT: "70000" }],
    ["PORT", { PORT: "-1" }],
    ["PORT", { PORT: "80.5" }],
    ["PORT", { PORT: "1e3" }],
    ["DB_POOL_SIZE", { DB_POOL_SIZE: "1" }],
    ["DB_POOL_SIZE", { DB_POOL_SIZE: "1001" }],
    ["JWT_TTL_SECONDS", { JWT_TTL_SECONDS: "59" }],
    ["DAILY_MATCH_LIMIT", { DAILY_MATCH_LIMIT: "0" }],
    ["MATCH_ACTIVE_DAYS", { MATCH_ACTIVE_DAYS: "0" }],
    ["MATCH_LIFETIME_HOURS", { MATCH_LIFETIME_HOURS: "x" }],
    ["EXTEND_COST_COINS", { EXTEND_COST_COINS: "-50" }],
    ["COIN_PACKS", { COIN_PACKS: "100" }],
    ["COIN_PACKS", { COIN_PACKS: "100:0" }],
    ["COIN_PACKS", { COIN_PACKS: "100:10001" }],
    ["COIN_PACKS", { COIN_PACKS: "100:50,100:60" }],
    ["COIN_PACKS", { COIN_PACKS: "100:50,,550:250" }],
    ["COIN_PACKS", { COIN_PACKS: "1000001:50" }],
    ["COIN_PACKS", { COIN_PACKS: Array.from({ length: 11 }, (_, i) => `${i + 1}:1`).join(",") }],
    ["PREMIUM_MONTH_STARS", { PREMIUM_MONTH_STARS: "0" }],
    ["PREMIUM_MONTH_STARS", { PREMIUM_MONTH_STARS: "10001" }],
    ["SWEEP_INTERVAL_SECONDS", { SWEEP_INTERVAL_SECONDS: "0" }],
    ["UNLOCK_THRESHOLDS", { UNLOCK_THRESHOLDS: "20,10,100,150" }],
    ["UNLOCK_THRESHOLDS", { UNLOCK_THRESHOLDS: "20,20,100,150" }],
    ["UNLOCK_THRESHOLDS", { UNLOCK_THRESHOLDS: "0,60,100,150" }],
    ["UNLOCK_THRESHOLDS", { UNLOCK_THRESHOLDS: "20,60,100" }],
    ["UNLOCK_THRESHOLDS", { UNLOCK_THRESHOLDS: "20,60,100,150,200" }],
    ["UNLOCK_THRESHOLDS", { UNLOCK_THRESHOLDS: "20,60,abc,150" }],
    ["UNLOCK_THRESHOLDS", { UNLOCK_THRESHOLDS: "20,60,,150" }],
    ["CONTACT_UNLOCK_LEVEL", { CONTACT_UNLOCK_LEVEL: "5" }],
    ["CONTACT_UNLOCK_LEVEL", { CONTACT_UNLOCK_LEVEL: "four" }],
    ["JWT_SECRET", { JWT_SECRET: "too-short" }],
    ["JWT_SECRET", { JWT_SECRET: "x".repeat(31) }],
    ["JWT_SECRET", { JWT_SECRET: undefined }],
    ["JWT_SECRET", { JWT_SECRET: "   " }],
    ["SHUTDOWN_TIMEOUT_SECONDS", { SHUTDOWN_TIMEOUT_SECONDS: "0" }],
    ["LOG_REQUESTS", { LOG_REQUESTS: "yes" }],
    ["LOG_FORMAT", { LOG_FORMAT: "pretty" }],
    ["DEMO", { DEMO: "on" }],
    ["TRUST_PROXY", { TRUST_PROXY: "yes" }],
    ["DATABASE_URL", { DATABASE_URL: "mysql://x" }],
    ["DATABASE_URL", { DATABASE_URL: "not a url" }],
    ["REDIS_URL", { REDIS_URL: "http://127.0.0.1:6379" }],
    ["REDIS_URL", { REDIS_URL: "127.0.0.1:6379" }],
    ["REDIS_URL", { REDIS_URL: "redis://a:6379,http://b:6379" }],
    ["REDIS_URL", { REDIS_URL: "redis://a:6379,,redis://b:6379" }],
    ["REDIS_URL", { REDIS_URL: "redis://a:6379,redis://a:6379" }],
    ["REDIS_PREFIX", { REDIS_PREFIX: "two words" }],
    ["WORKERS", { WORKERS: "0" }],
    ["WORKERS", { WORKERS: "many" }],
    ["WORKERS", { WORKERS: "257" }],
    ["REDIS_PREFIX", { REDIS_PREFIX: "x".repeat(65) }],
    ["S3_ENDPOINT", { S3_BUCKET: "photos", S3_ENDPOINT: "ftp://store" }],
    ["S3_ENDPOINT", { S3_ENDPOINT: "http://127.0.0.1:9000" }],
    ["S3_SECRET_ACCESS_KEY", { S3_SECRET_ACCESS_KEY: "set without a bucket" }],
  ] as Array<[string, Record<string, string | undefined>]>)("%s: %j", (name, bad) => {
    const env: Record<string, string | undefined> = { ...BASE, ...bad };
    for (const [key, value] of Object.entries(bad)) if (value === undefined) delete env[key];
    expect(configError(env).message).toContain(name);
  });

  test.each([
    ["LOG_REQUESTS", "yes"],
    ["DEMO", "on"],
    ["TRUST_PROXY", "2"],
  ])("%s=%s: the message says what a flag accepts", (name, raw) => {
    expect(configError({ ...BASE, [name]: raw }).message).toBe(`${name} must be 1 or 0 (true or false), got "${raw}"`);
  });

  test("WORKERS=auto is one per core", () => {
    expect(loadConfig({ ...BASE, WORKERS: "auto" }).workers).toBe(availableParallelism());
  });

  test("REDIS_URL may list several servers, comma-separated (spaces around the commas ignored)", () => {
    expect(loadConfig({ ...BASE, REDIS_URL: "redis://a:6379 , redis://b:6380" }).redisUrl).toBe(
      "redis://a:6379,redis://b:6380",
    );
  });

  test("a refused URL shows its scheme, not the rest (which may hold a password)", () => {
    expect(configError({ ...BASE, DATABASE_URL: "mysql://root:hunter2@db/mm" }).message).toBe(
      'DATABASE_URL must start with postgres:// or postgresql://, got "mysql://"',
    );
    expect(configError({ ...BASE, REDIS_URL: "http://:hunter2@cache" }).message).toBe(
      'REDIS_URL must start with redis://, rediss://, valkey:// or valkeys://, got "http://"',
    );
  });

  test("PUBLIC_URL must be https; TELEGRAM_WEBHOOK_SECRET only what Telegram allows in secret_token", () => {
    expect(configError({ ...BASE, PUBLIC_URL: "http://mm.example" }).message).toBe(
      'PUBLIC_URL must start with https://, got "http://"',
    );
    for (const secret of ["short", "has spaces in it ok?", "x".repeat(257)]) {
      expect(configError({ ...BASE, TELEGRAM_WEBHOOK_SECRET: secret }).message).toStartWith("TELEGRAM_WEBHOOK_SECRET");
    }
    expect(configError({ ...BASE, TELEGRAM_API_URL: "ftp://x" }).message).toStartWith("TELEGRAM_API_URL");
  });

  test("a JWT_SECRET of exactly 32 characters is accepted", () => {
    expect(loadConfig({ ...BASE, JWT_SECRET: "y".repeat(32) }).jwtSecret).toBe("y".repeat(32));
  });
});

describe("checkServeConfig: what serve needs beyond loadConfig", () => {
  test("an ADMIN_TOKEN shorter than 32 characters stops the start, naming it", () => {
    const short = loadConfig({ ...BASE, ADMIN_TOKEN: "x".repeat(31) });
    expect(() => checkServeConfig(short)).toThrow(ConfigError);
    expect(() => checkServeConfig(short)).toThrow("ADMIN_TOKEN must be at least 32 characters long");
    // Surrounding blanks are not part of it.
    expect(() => checkServeConfig(loadConfig({ ...BASE, ADMIN_TOKEN: ` ${"x".repeat(31)} ` }))).toThrow(/ADMIN_TOKEN/);
  });

  test("32 characters or more, or no ADMIN_TOKEN at all (the operator routes are off), start", () => {
    checkServeConfig(loadConfig({ ...BASE, ADMIN_TOKEN: "x".repeat(32) }));
    checkServeConfig(loadConfig({ ...BASE }));
  });
});

describe("loadConfig: flags", () => {
  test("a flag wins over the environment; the environment fills the rest", () => {
    const config = loadConfig({ ...BASE, PORT: "1111", HOST: "127.0.0.1" }, { PORT: "2222" });
    expect([config.port, config.host]).toEqual([2222, "127.0.0.1"]);
  });

  test("a bad flag value names its variable", () => {
    expect(() => loadConfig({ ...BASE }, { PORT: "x" })).toThrow(/PORT/);
  });
});

describe("loadConfig: the embedded database", () => {
  const withDataDir = (run: (dir: string) => void) => {
    const dir = mkdtempSync(join(tmpdir(), "mm-config-"));
    try {
      run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test("no DATABASE_URL and no JWT_SECRET: a secret is generated once, kept in DATA_DIR with mode 0600", () => {
    withDataDir((dir) => {
      const first = loadConfig({ DATA_DIR: dir });
      const path = join(dir, "jwt-secret");
      expect(first.databaseUrl).toBeNull();
      expect(first.dataDir).toBe(dir);
      expect(first.jwtSecret).toMatch(/^[A-Za-z0-9_-]{64}$/); // 48 random bytes, base64url
      expect(readFileSync(path, "utf8").trim()).toBe(first.jwtSecret);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(loadConfig({ DATA_DIR: dir }).jwtSecret).toBe(first.jwtSecret);
    });
  });

  test("a JWT_SECRET given in embedded mode is used and nothing is written", () => {
    withDataDir((dir) => {
      expect(loadConfig({ DATA_DIR: dir, JWT_SECRET: BASE.JWT_SECRET }).jwtSecret).toBe(BASE.JWT_SECRET);
      expect(() => statSync(join(dir, "jwt-secret"))).toThrow();
    });
  });

  test("a stored secret that is too short is refused, naming DATA_DIR", () => {
    withDataDir((dir) => {
      writeFileSync(join(dir, "jwt-secret"), "short\n");
      expect(configError({ DATA_DIR: dir }).message).toContain("DATA_DIR");
    });
  });

  test("with DATABASE_URL, JWT_SECRET stays required", () => {
    withDataDir((dir) => {
      expect(configError({ DATABASE_URL: BASE.DATABASE_URL, DATA_DIR: dir }).message).toContain("JWT_SECRET");
    });
  });

  test("DATA_DIR defaults to ./data, made absolute", () => {
    expect(loadConfig({ JWT_SECRET: BASE.JWT_SECRET }).dataDir).toBe(resolve("data"));
  });
});

describe("loadConfig: immutability", () => {
  test("the config and its thresholds are frozen", () => {
    const config = loadConfig({ ...BASE });
    expect([Object.isFrozen(config), Object.isFrozen(config.unlockThresholds)]).toEqual([true, true]);
  });

  test("assigning to the config throws in strict mode and changes nothing", () => {
    const config = loadConfig({ ...BASE });
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.unlockThresholds as unknown as number[])[0] = 1;
    }).toThrow(TypeError);
    expect([config.port, config.unlockThresholds[0]]).toEqual([3000, 20]);
  });

  test("each call returns a new object read from the given environment, not process.env", () => {
    const a = loadConfig({ ...BASE, PORT: "1111" });
    const b = loadConfig({ ...BASE, PORT: "2222" });
    expect([a.port, b.port]).toEqual([1111, 2222]);
  });
});
