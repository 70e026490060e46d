// The database handle: a postgres.js pool wrapped by drizzle, its migrator, and a raw-rows helper.
import { fileURLToPath } from "node:url";
import { type SQL, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import * as schema from "./schema";

/** Driver-neutral drizzle handle: services depend on this, never on postgres.js itself. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  readonly db: Db;
  /** Applies the committed SQL migrations in drizzle/ that are not applied yet. */
  migrate(): Promise<void>;
  /** Closes every pooled connection, waiting at most `timeoutSeconds` for running queries. */
  close(timeoutSeconds?: number): Promise<void>;
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));

// Arbitrary constant naming the migration lock among PostgreSQL advisory locks.
const MIGRATION_LOCK_KEY = 0x6d6d6967;

// Telegram ids and counts are int8; every value we store fits in a double (ids ≤ 2^53−1).
const int8AsNumber = { to: 20, from: [20], serialize: String, parse: Number };

export function connectPostgres(url: string, poolSize: number): Database {
  const client = postgres(url, {
    max: poolSize,
    onnotice: () => {},
    types: { int8AsNumber },
    // A database that is down must fail requests fast (503), not hold them: give up connecting
    // after 2 s, and retry a failed connection after at most 0.5 s (postgres.js's default backoff
    // grows to 20 s, during which queued requests just wait).
    connect_timeout: 2,
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 0.5),
  });
  const db = drizzle(client, { schema });
  return {
    db: db as unknown as Db,
    async migrate() {
      // Several processes may start at once: a session advisory lock held on one reserved
      // connection makes them migrate one after another; drizzle skips what is applied.
      const lock = await client.reserve();
      try {
        await lock`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
        await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
      } finally {
        await lock`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => {});
        lock.release();
      }
    },
    close: (timeoutSeconds = 5) => client.end({ timeout: timeoutSeconds }),
  };
}

/** Runs raw SQL and returns its rows, whatever the driver's result shape. */
export async function rows<T>(db: Db, query: SQL): Promise<T[]> {
  const result: unknown = await db.execute(query);
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/** A timestamp parameter for raw SQL (drivers differ in how they send a bare Date). */
export const at = (date: Date): SQL => sql`${date.toISOString()}::timestamptz`;

/** A timestamp column read by raw SQL: a Date on some drivers, text on others. */
export type RawTimestamp = Date | string;
export const toDate = (value: RawTimestamp): Date => (value instanceof Date ? value : new Date(value));
export const toDateOrNull = (value: RawTimestamp | null): Date | null => (value === null ? null : toDate(value));

/** True for PostgreSQL's unique_violation (23505), however the driver wraps it. */
export function isUniqueViolation(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if ((current as { code?: unknown }).code === "23505") return true;
  }
  return false;
}
