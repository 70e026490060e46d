// For tests that drive a real server process (startServer) over HTTP and check its database
// directly: the process's settings, a timed HTTP client that never hangs, and direct SQL.
import postgres from "postgres";
import { signToken } from "../../src/modules/auth/jwt";

export const REMOTE_JWT_SECRET = "remote-test-secret-at-least-32-characters";

/** Settings for a server process on `databaseUrl`. */
export function serverEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    JWT_SECRET: REMOTE_JWT_SECRET,
    DB_POOL_SIZE: "10",
    // These tests send far more per user than the default per-user limits allow.
    RATE_LIMIT_SENDS_PER_MINUTE: "0",
    RATE_LIMIT_FIND_MATCH_PER_MINUTE: "0",
    LOG_REQUESTS: "0",
    ...extra,
  };
}

export const tokenFor = (userId: number) => signToken(REMOTE_JWT_SECRET, userId, 3600);

export interface Timed {
  /** The HTTP status; NO_REPLY when the connection failed or the client gave up waiting. */
  status: number;
  body: any;
  headers: Headers;
  /** Milliseconds from sending the request to reading the whole reply (or giving up). */
  ms: number;
  /** Set when there was no reply: "timeout" (the server hung) or the network error's message. */
  failure?: string;
}

export const NO_REPLY = 0;

/**
 * One HTTP request as user `as`. A request that takes longer than `patienceMs` is abandoned, and a
 * refused or reset connection is reported, both as status NO_REPLY: a test asserts on them rather
 * than hanging or throwing.
 */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { as?: number; body?: unknown; patienceMs?: number } = {},
): Promise<Timed> {
  const headers: Record<string, string> = {};
  if (options.as !== undefined) headers.authorization = `Bearer ${tokenFor(options.as)}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const started = performance.now();
  try {
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.patienceMs ?? 15_000),
    });
    const text = await response.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {}
    return { status: response.status, body, headers: response.headers, ms: performance.now() - started };
  } catch (error) {
    const failure = (error as Error).name === "TimeoutError" ? "timeout" : String(error);
    return { status: NO_REPLY, body: null, headers: new Headers(), ms: performance.now() - started, failure };
  }
}

/** Runs `query` on a short-lived connection of its own. */
export async function withSql<T>(databaseUrl: string, query: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    return await query(sql);
  } finally {
    await sql.end();
  }
}

export interface Pair {
  a: number;
  b: number;
  matchId: number;
}

/** Inserts `count` pairs of users with profiles and one active match each; user ids start at `firstId`. */
export function seedPairs(databaseUrl: string, count: number, firstId: number): Promise<Pair[]> {
  return withSql(databaseUrl, async (sql) => {
    const pairs: Pair[] = [];
    for (let i = 0; i < count; i++) {
      const a = firstId + 2 * i;
      const b = a + 1;
      await sql`INSERT INTO users (id, gender, age) VALUES (${a}, 'female', 25), (${b}, 'male', 27)`;
      const [row] = await sql<{ id: string }[]>`
        INSERT INTO matches (user_a, user_b, created_at, expires_at)
        VALUES (${a}, ${b}, now(), now() + interval '48 hours') RETURNING id`;
      pairs.push({ a, b, matchId: Number(row!.id) });
    }
    return pairs;
  });
}

/**
 * Calls `attempt` until it returns true, at most until `timeoutMs` has passed; says whether it did.
 * For conditions a test waits on without guessing a sleep.
 */
export async function eventually(attempt: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await attempt()) return true;
    if (Date.now() >= deadline) return false;
    await Bun.sleep(everyMs);
  }
}
