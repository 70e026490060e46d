// The database handle: a postgres.js pool wrapped by drizzle, the embedded migrator, and a raw-rows helper.
import { type Placeholder, type SQL, sql } from "drizzle-orm";
import type {
  PgDatabase,
  PgDialect,
  PgPreparedQuery,
  PgQueryResultHKT,
  PgSession,
  PreparedQueryConfig,
} from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { embeddedMigrations } from "./migrations";
import * as schema from "./schema";

/** Driver-neutral drizzle handle: services depend on this, never on postgres.js itself. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  readonly db: Db;
  /** Where the data lives, for people: never a password. */
  readonly description: string;
  /** Applies the SQL migrations of drizzle/ (embedded in the build) that are not applied yet. */
  migrate(): Promise<void>;
  /** Closes every pooled connection, waiting at most `timeoutSeconds` for running queries. */
  close(timeoutSeconds?: number): Promise<void>;
  /** Usage counted by this process (neither driver exposes pool statistics). */
  stats(): DbStats;
}

export interface DbStats {
  readonly driver: "postgres" | "pglite";
  /** Connections the pool may open: DB_POOL_SIZE, or 1 for the embedded database. */
  readonly maxConnections: number;
  /** Statements outside a transaction that were sent and have not answered yet (waiting for a connection included). */
  readonly queriesInFlight: number;
  /** Transactions begun and not yet finished: each holds one connection throughout. */
  readonly transactionsOpen: number;
}

/** Counters behind DbStats, kept by the client wrappers. */
export interface InFlight {
  queries: number;
  transactions: number;
}

/** Applies the embedded migrations through drizzle's own migrator (it skips those already applied). */
export async function applyMigrations(db: Db): Promise<void> {
  const { dialect, session } = db as unknown as { dialect: PgDialect; session: PgSession };
  // The table name alone: drizzle's defaults (drizzle.__drizzle_migrations), as its folder migrator uses.
  await dialect.migrate(embeddedMigrations(), session, "__drizzle_migrations");
}

// Arbitrary constant naming the migration lock among PostgreSQL advisory locks.
const MIGRATION_LOCK_KEY = 0x6d6d6967;

// Telegram ids and counts are int8; every value we store fits in a double (ids ≤ 2^53−1).
const int8AsNumber = { to: 20, from: [20], serialize: String, parse: Number };

/**
 * The pool as drizzle sees it: every statement it runs (`unsafe`, on the pool and inside a
 * transaction) is a prepared one, and the pool's statements and transactions are counted.
 *
 * drizzle names a statement only when the code calls `.prepare(name)`; otherwise PostgreSQL parses
 * and plans it again on every call. Prepared, postgres.js parses it once per pooled connection
 * (keyed by its text) and then only binds and executes: GET stats cost PostgreSQL ~4× less CPU
 * (bench/RESULTS.md). Query texts never embed values (parameters only), so their number stays bounded.
 *
 * A postgres.js query runs lazily when awaited; its resolve/reject are wrapped, never its `then`, so
 * chaining `.values()` after `unsafe()` still works.
 */
function instrumented(client: postgres.Sql, inFlight: InFlight): postgres.Sql {
  type Pending = { resolve: (value: unknown) => void; reject: (error: unknown) => void };
  const prepared = (target: Pick<postgres.Sql, "unsafe">, count: boolean) =>
    ((query: string, parameters?: postgres.ParameterOrJSON<never>[], options?: postgres.UnsafeQueryOptions) => {
      const pending = target.unsafe(query, parameters, { ...options, prepare: true });
      if (!count) return pending;
      const { resolve, reject } = pending as unknown as Pending;
      let settled = false;
      const done = () => {
        if (!settled) inFlight.queries--;
        settled = true;
      };
      inFlight.queries++;
      (pending as unknown as Pending).resolve = (value) => {
        done();
        resolve(value);
      };
      (pending as unknown as Pending).reject = (error) => {
        done();
        reject(error);
      };
      return pending;
    }) as postgres.Sql["unsafe"];
  // Made once, not on each property read: drizzle reads `unsafe` for every statement it sends.
  const poolUnsafe = prepared(client, true);
  // Inside a transaction only `unsafe` changes: its statements are counted by the transaction.
  const preparing = (tx: postgres.TransactionSql) => {
    const txUnsafe = prepared(tx, false);
    return new Proxy(tx, {
      get: (target, key, receiver) => (key === "unsafe" ? txUnsafe : Reflect.get(target, key, receiver)),
    });
  };
  const begin = (...args: unknown[]) => {
    const body = args.pop() as (tx: postgres.TransactionSql) => unknown;
    inFlight.transactions++;
    return (client.begin as (...a: unknown[]) => Promise<unknown>)(...args, (tx: postgres.TransactionSql) =>
      body(preparing(tx)),
    ).finally(() => {
      inFlight.transactions--;
    });
  };
  return new Proxy(client, {
    get(target, key, receiver) {
      if (key === "unsafe") return poolUnsafe;
      if (key === "begin") return begin;
      return Reflect.get(target, key, receiver);
    },
  });
}

/** The host, port and database of a PostgreSQL URL: what the logs may say about it. */
export function describePostgres(url: string): string {
  const parsed = new URL(url);
  return `PostgreSQL ${parsed.hostname || "localhost"}:${parsed.port || "5432"}${parsed.pathname || "/"}`;
}

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
  const inFlight: InFlight = { queries: 0, transactions: 0 };
  const db = drizzle(instrumented(client, inFlight), { schema }) as unknown as Db;
  return {
    db,
    description: describePostgres(url),
    async migrate() {
      // Several processes may start at once: a session advisory lock held on one reserved
      // connection makes them migrate one after another; drizzle skips what is applied.
      const lock = await client.reserve();
      try {
        await lock`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
        // One-off DDL: through drizzle on the plain pool, so none of it stays prepared on a connection.
        await applyMigrations(drizzle(client, { schema }) as unknown as Db);
      } finally {
        await lock`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => {});
        lock.release();
      }
    },
    close: (timeoutSeconds = 5) => client.end({ timeout: timeoutSeconds }),
    stats: () => ({
      driver: "postgres",
      maxConnections: poolSize,
      queriesInFlight: inFlight.queries,
      transactionsOpen: inFlight.transactions,
    }),
  };
}

/** The rows of a raw query's result: postgres.js returns an array, PGlite an object with `rows`. */
export function resultRows<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/** Runs raw SQL and returns its rows, whatever the driver's result shape. */
export async function rows<T>(db: Db, query: SQL): Promise<T[]> {
  return resultRows<T>(await db.execute(query));
}

/**
 * A point in time inside raw SQL: a Date, or a statement's placeholder bound to one (see `statement`,
 * whose values hold it as `iso(date)`).
 */
export type Instant = Date | Placeholder;

/** A timestamp parameter for raw SQL (drivers differ in how they send a bare Date, so it goes as ISO text). */
export const at = (instant: Instant): SQL => sql`${instant instanceof Date ? iso(instant) : instant}::timestamptz`;

/** A Date as a statement's placeholder value for `at`. */
export const iso = (date: Date): string => date.toISOString();

/** Named placeholders for a statement's values: `p.matchId` is the slot the value `matchId` fills. */
export type Slots<Values> = { readonly [K in keyof Values]: Placeholder };

/**
 * A raw statement built once: `build` composes it from named placeholders, drizzle turns it into
 * text and parameter slots the first time a database handle runs it, and every later call only
 * binds `values`. Composing a statement from rule expressions costs tens of microseconds each time
 * (the lone send's: more CPU than the rest of its request), so hot paths build theirs once.
 */
export function statement<Values extends Record<string, unknown>, Row>(
  build: (slots: Slots<Values>) => SQL,
): (db: Db, values: Values) => Promise<Row[]> {
  const slots = new Proxy({} as Slots<Values>, { get: (_, name) => sql.placeholder(String(name)) });
  const query = build(slots);
  // Per handle: the pool's is made once; a transaction's handle lives for that transaction only.
  const prepared = new WeakMap<Db, PgPreparedQuery<PreparedQueryConfig>>();
  return async (db, values) => {
    let ready = prepared.get(db);
    if (!ready) {
      const { dialect, session } = db as unknown as { dialect: PgDialect; session: PgSession };
      ready = session.prepareQuery(dialect.sqlToQuery(query), undefined, undefined, false);
      prepared.set(db, ready);
    }
    return resultRows<Row>(await ready.execute(values));
  };
}

/** A timestamp column read by raw SQL: a Date on some drivers, text on others. */
export type RawTimestamp = Date | string;
export const toDate = (value: RawTimestamp): Date => (value instanceof Date ? value : new Date(value));
export const toDateOrNull = (value: RawTimestamp | null): Date | null => (value === null ? null : toDate(value));

/**
 * The first error in `error`'s `cause` chain (itself included) whose string `code` (a SQLSTATE, a
 * socket or a postgres.js code) passes `accept`: drizzle wraps the driver's errors in its own.
 */
export function errorWithCode(error: unknown, accept: (code: string) => boolean): (Error & { code: string }) | null {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && accept(code)) return current as Error & { code: string };
  }
  return null;
}

/** True for PostgreSQL's unique_violation (23505), however the driver wraps it. */
export const isUniqueViolation = (error: unknown): boolean => errorWithCode(error, (code) => code === "23505") !== null;
