// Test harness: a fresh, migrated PostgreSQL database per test file and the real app on top of it.
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { type Config, loadConfig } from "../../src/config";
import { connectPostgres, type Database, type Db } from "../../src/db/client";
import { matches, users } from "../../src/db/schema";
import { type App, createApp } from "../../src/http/app";
import { signToken } from "../../src/modules/auth/jwt";
import { createRealtime, type Realtime } from "../../src/realtime";

/** The server the suite creates its databases on; each file gets its own database there. */
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

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
  /** Starts a real server on a free port for socket tests; returns its ws:// and http:// base URLs. */
  listen(): { ws: string; http: string };
  token(userId: number, ttlSeconds?: number): string;
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<Reply<T>>;
  /** Inserts users with complete profiles straight into the database. */
  addUsers(...rows: Array<Partial<typeof users.$inferInsert> & { id: number }>): Promise<void>;
  /** Inserts a match straight into the database (active, expiring in 48 h unless overridden). */
  addMatch(userA: number, userB: number, overrides?: Partial<typeof matches.$inferInsert>): Promise<number>;
  close(): Promise<void>;
}

export async function createTestContext(env: Record<string, string> = {}): Promise<TestContext> {
  const name = `mm_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;

  const config = loadConfig({
    DATABASE_URL: url.toString(),
    JWT_SECRET,
    TELEGRAM_BOT_TOKEN: BOT_TOKEN,
    ADMIN_TOKEN,
    DB_POOL_SIZE: "20",
    // Suites send far more than a person would; test/http/rate-limit.test.ts sets its own limits.
    RATE_LIMIT_SENDS_PER_MINUTE: "100000",
    RATE_LIMIT_FIND_MATCH_PER_MINUTE: "100000",
    RATE_LIMIT_AUTH_PER_MINUTE: "100000",
    ...env,
  });
  const database: Database = connectPostgres(config.databaseUrl, config.dbPoolSize);
  await database.migrate();
  const realtime = await createRealtime(config.redisUrl, config.redisPrefix);
  const app = createApp({ db: database.db, config, realtime });
  let server: { stop(closeActiveConnections?: boolean): unknown } | null = null;

  return {
    app,
    db: database.db,
    config,
    realtime,
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
    async addUsers(...rows) {
      await database.db.insert(users).values(rows.map((row) => ({ gender: "female" as const, age: 25, ...row })));
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
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Counts rows of a table, for "nothing was written" checks. */
export async function countRows(db: Db, table: string): Promise<number> {
  const result: any = await db.execute(sql.raw(`SELECT count(*)::int AS n FROM ${table}`));
  return (Array.isArray(result) ? result : result.rows)[0].n;
}
