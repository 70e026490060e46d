// Prepared statements for the hot queries. drizzle sends a query without a name as an unnamed
// statement, which PostgreSQL parses and plans again on every call; with a name, postgres.js
// prepares it once per pooled connection (keyed by its text) and then only binds and executes.
// On the benchmark machine that made GET stats ~4× cheaper for the database (bench/RESULTS.md).
//
// Builders use drizzle's own `.prepare(name)`; raw SQL goes through `preparedRows` below. The
// text of a prepared query must not vary with its values: parameters only, never sql.raw values.
import type { SQL } from "drizzle-orm";
import { type Db, resultRows } from "../db/client";

interface DrizzleInternals {
  session: {
    prepareQuery(
      query: unknown,
      fields: undefined,
      name: string,
      isResponseInArrayMode: boolean,
    ): { execute(): Promise<unknown> };
  };
  dialect: { sqlToQuery(query: SQL): unknown };
}

/** `rows(db, query)` (src/db/client.ts) as a prepared statement; `name` only says "prepare it". */
export async function preparedRows<T>(db: Db, name: string, query: SQL): Promise<T[]> {
  const { session, dialect } = db as unknown as DrizzleInternals;
  return resultRows<T>(await session.prepareQuery(dialect.sqlToQuery(query), undefined, name, false).execute());
}
