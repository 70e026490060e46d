// Test harness: a fresh, migrated database per test file (PGlite in memory, or PostgreSQL when
// TEST_DATABASE_URL is set) and the real app on top of it.
import { createHash } from "node:crypto";
import { renameSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SQL, sql } from "drizzle-orm";
import postgres from "postgres";
import { type Config, loadConfig } from "../../src/config";
import { connectPostgres, type Database, type Db, rows } from "../../src/db/client";
import { embeddedMigrations } from "../../src/db/migrations";
import { connectPglite, dumpDatabase } from "../../src/db/pglite";
import { matches, users } from "../../src/db/schema";
import { type App, createApp } from "../../src/http/app";
import { ActivityRecorder } from "../../src/modules/activity/recorder";
import { signToken } from "../../src/modules/auth/jwt";
import { createRealtime, type Realtime } from "../../src/realtime";
import type { Clock } from "../../src/realtime/rate-limit";

/**
 * The PostgreSQL server the suite creates its databases on (each file gets its own database there),
 * or null: then each file gets its own in-memory PGlite.
 */
const ADMIN_URL = process.env.TEST_DATABASE_URL?.trim() || null;

/** True when the suite runs on PostgreSQL; tests that need a second process or session skip otherwise. */
export const ON_POSTGRES = ADMIN_URL !== null;

export const JWT_SECRET = "test-secret-that-is-at-least-32-characters";
export const BOT_TOKEN = "123456:TEST-bot-token";
export const ADMIN_TOKEN = "test-admin-token";

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  /** Sends a bearer token for this user. */
  as?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface TestContext {
  app: App;
  db: Db;
  config: Config;
  realtime: Realtime;
  /** The app's activity recorder: tests flush it instead of waiting for its timer (not started here). */
  activity: ActivityRecorder;
  /** Starts a real server on a free port for socket tests; returns its ws:// and http:// base URLs. */
  listen(): { ws: string; http: string };
  token(userId: number, ttlSeconds?: number): string;
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<Reply<T>>;
  /** Runs raw SQL and returns its rows, whichever driver runs the suite. */
  query<T = any>(query: SQL): Promise<T[]>;
  /** Inserts users with complete profiles straight into the database, active now unless told otherwise. */
  addUsers(...rows: Array<Partial<typeof users.$inferInsert> & { id: number }>): Promise<void>;
  /** Inserts a match straight into the database (active, expiring in 48 h unless overridden). */
  addMatch(userA: number, userB: number, overrides?: Partial<typeof matches.$inferInsert>): Promise<number>;
  close(): Promise<void>;
}

// Migrating an empty PGlite takes seconds (initdb, then the migrations); it is done once (the preload
// does it) and every file starts from a copy of the result, migrated by the same migrator. The copy is
// also kept in the temp directory, keyed by the migrations and the PGlite build, for the next run.
let pgliteTemplate: Promise<Blob> | null = null;
export function migratedTemplate(): Promise<Blob> {
  pgliteTemplate ??= (async () => {
    const wasm = statSync(Bun.resolveSync("@electric-sql/pglite/pglite.wasm", import.meta.dir));
    const key = createHash("sha256")
      .update(JSON.stringify([embeddedMigrations().map((migration) => migration.hash), wasm.size, wasm.mtimeMs]))
      .digest("hex")
      .slice(0, 16);
    const cached = join(tmpdir(), `mystery-match-pglite-template-${key}.tar`);
    if (await Bun.file(cached).exists()) return new Blob([await Bun.file(cached).arrayBuffer()]);
    const database = await connectPglite(null);
    try {
      await database.migrate();
      const dump = await dumpDatabase(database);
      const partial = `${cached}.${process.pid}`;
      await Bun.write(partial, dump);
      renameSync(partial, cached);
      return dump;
    } finally {
      await database.close();
    }
  })();
  return pgliteTemplate;
}

/** A database of this file's own: a new PostgreSQL database, or an in-memory PGlite. */
async function freshDatabase(): Promise<{ url: string | null; drop(): Promise<void> }> {
  if (ADMIN_URL === null) return { url: null, drop: async () => {} };
  const name = `mm_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

export interface TestContextOptions {
  /** The rate limiter's clock, e.g. a ManualClock's `now`; Date.now unless given. */
  clock?: Clock;
}

export async function createTestContext(
  env: Record<string, string> = {},
  options: TestContextOptions = {},
): Promise<TestContext> {
  const fresh = await freshDatabase();
  const config = loadConfig({
    ...(fresh.url === null ? {} : { DATABASE_URL: fresh.url }),
    JWT_SECRET,
    TELEGRAM_BOT_TOKEN: BOT_TOKEN,
    ADMIN_TOKEN,
    DB_POOL_SIZE: "20",
    // Suites send far more than a person would; test/http/rate-limit.test.ts sets its own limits.
    RATE_LIMIT_SENDS_PER_MINUTE: "100000",
    RATE_LIMIT_SENDS_BURST: "100000",
    RATE_LIMIT_FIND_MATCH_PER_MINUTE: "100000",
    RATE_LIMIT_AUTH_PER_MINUTE: "100000",
    RATE_LIMIT_BLOCKS_PER_MINUTE: "100000",
    RATE_LIMIT_REPORTS_PER_MINUTE: "100000",
    RATE_LIMIT_SOCKETS_PER_MINUTE: "100000",
    // One line per request would bury the test report; test/http/observability.test.ts turns it on.
    LOG_REQUESTS: "0",
    ...env,
  });
  const database: Database =
    config.databaseUrl === null
      ? await connectPglite(null, { loadDataDir: await migratedTemplate() })
      : connectPostgres(config.databaseUrl, config.dbPoolSize);
  await database.migrate();
  const realtime = await createRealtime({
    redisUrl: config.redisUrl,
    redisPrefix: config.redisPrefix,
    clock: options.clock,
  });
  const activity = new ActivityRecorder(database.db);
  const app = createApp({ db: database.db, config, realtime, activity, dbStats: database.stats });
  let server: { stop(closeActiveConnections?: boolean): unknown } | null = null;

  return {
    app,
    db: database.db,
    config,
    realtime,
    activity,
    listen() {
      app.listen({ port: 0, hostname: "127.0.0.1" });
      server = app.server;
      realtime.local.attach(app.server!);
      const port = app.server!.port;
      return { ws: `ws://127.0.0.1:${port}`, http: `http://127.0.0.1:${port}` };
    },
    token: (userId, ttlSeconds = 3600) => signToken(JWT_SECRET, userId, ttlSeconds),
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.as !== undefined) headers.authorization = `Bearer ${signToken(JWT_SECRET, options.as, 3600)}`;
      let body: string | undefined;
      if (options.body !== undefined) {
        body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
        headers["content-type"] ??= "application/json";
      }
      const response = await app.handle(new Request(`http://localhost${path}`, { method, headers, body }));
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      return { status: response.status, body: parsed as any, headers: response.headers };
    },
    query: (query) => rows(database.db, query),
    async addUsers(...rows) {
      await database.db
        .insert(users)
        .values(rows.map((row) => ({ gender: "female" as const, age: 25, lastActiveAt: new Date(), ...row })));
    },
    async addMatch(userA, userB, overrides = {}) {
      const now = new Date();
      const [row] = await database.db
        .insert(matches)
        .values({ userA, userB, createdAt: now, expiresAt: new Date(now.getTime() + 48 * 3600_000), ...overrides })
        .returning({ id: matches.id });
      return row!.id;
    },
    async close() {
      server?.stop(true);
      await realtime.close();
      await database.close(1);
      await fresh.drop();
    },
  };
}

/**
 * A clock that moves only when the test moves it, for createTestContext's `clock` option: rate
 * limits count per fixed window of this clock, so a test sets the time rather than waiting for a
 * fresh window of the wall clock.
 */
export class ManualClock {
  constructor(private time: number) {}

  /** The clock to hand to createTestContext or a limiter. */
  readonly now: Clock = () => this.time;

  set(ms: number): void {
    this.time = ms;
  }

  advance(ms: number): void {
    this.time += ms;
  }

  /** Moves to `offsetMs` into the next window of `windowSeconds` (a minute unless told). */
  nextWindow(offsetMs = 0, windowSeconds = 60): void {
    const size = windowSeconds * 1000;
    this.time = (Math.floor(this.time / size) + 1) * size + offsetMs;
  }
}

/** Counts rows of a table, for "nothing was written" checks. */
export async function countRows(db: Db, table: string): Promise<number> {
  const [row] = await rows<{ n: number }>(db, sql.raw(`SELECT count(*)::int AS n FROM ${table}`));
  return row!.n;
}
