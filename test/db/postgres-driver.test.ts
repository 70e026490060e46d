// The postgres.js defects that ended the server process when PostgreSQL went away, each forced on
// purpose against a throwaway PostgreSQL (patches/postgres@3.4.9.patch fixes them).
import { afterAll, beforeAll, expect, test } from "bun:test";
import postgres from "postgres";
import { type ThrowawayPostgres, throwawayServers } from "../helpers/throwaway";

const servers = throwawayServers();
let pg: ThrowawayPostgres;

beforeAll(async () => {
  pg = await servers.postgres();
}, 60_000);

// What escaped the driver while a test ran: each of these ends a Bun process that has no handler.
const escaped: string[] = [];
const onRejection = (reason: unknown) => escaped.push(`unhandled rejection: ${reason}`);
const onException = (error: unknown) => escaped.push(`uncaught exception: ${error}`);
beforeAll(() => {
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
});
afterAll(() => {
  process.off("unhandledRejection", onRejection);
  process.off("uncaughtException", onException);
});

/**
 * Resolves on the event loop's next turn: once what is already queued has run (immediates and
 * timers due, the driver's own setImmediate writes among them) and the runtime has reported any
 * rejection left unhandled by then, which it does at the end of the turn that rejected.
 */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** `promise`'s value, or a failure naming what never came, rather than a test that hangs. */
async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | "never settled"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"never settled">((resolve) => {
    timer = setTimeout(() => resolve("never settled"), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

test("a connection whose array-type fetch fails leaves no unhandled rejection", async () => {
  // A 1 ms statement_timeout cancels the catalog query postgres.js runs first on a new connection.
  for (let i = 0; i < 5; i++) {
    const sql = postgres(pg.url, { max: 1, onnotice: () => {}, connection: { statement_timeout: 1 } });
    await sql`SELECT 1`.catch(() => {});
    await sql.end();
  }
  await nextTurn();
  expect(escaped).toEqual([]);
});

test("a transaction whose connection died can send nothing more, even once the pool reconnected", async () => {
  const sql = postgres(pg.url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  try {
    let goOn!: () => void;
    const resumed = new Promise<void>((resolve) => {
      goOn = resolve;
    });
    const late = Promise.withResolvers<unknown>();
    const transaction = sql.begin(async (tx) => {
      const [row] = await tx<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
      await admin`SELECT pg_terminate_backend(${row!.pid})`;
      // Application code goes on after the connection died: the sweeper's next statement, say.
      await resumed;
      late.resolve(
        await tx`SELECT 'late' AS late`.then(
          (rows) => [...rows],
          (error) => (error as { code?: string }).code,
        ),
      );
    });
    await expect(transaction).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
    // The pool reconnects its only connection for the next query, and that session is idle again.
    expect([...(await sql`SELECT 2 AS x`)]).toEqual([{ x: 2 }]);
    // Now the dead transaction's callback goes on. Its statement must fail, not run in the new
    // session outside any transaction (nor have its result handed to another query).
    goOn();
    expect(await settledWithin(late.promise, 5_000)).toBe("CONNECTION_CLOSED");
    expect([...(await sql`SELECT 3 AS x`)]).toEqual([{ x: 3 }]);
    expect(escaped).toEqual([]);
  } finally {
    await Promise.all([sql.end({ timeout: 1 }), admin.end({ timeout: 1 })]);
  }
});

test("a reserved connection that died fails its next statement rather than throwing from a timer", async () => {
  const closedConnection = Promise.withResolvers<number>();
  const sql = postgres(pg.url, {
    max: 2,
    onnotice: () => {},
    connect_timeout: 5,
    onclose: (id) => closedConnection.resolve(id),
  });
  const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  try {
    const reserved = await sql.reserve();
    const [row] = await reserved<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
    await admin`SELECT pg_terminate_backend(${row!.pid})`;
    // The driver has seen the close (the case that threw from a timer, its socket gone): the
    // statement fails at once.
    await closedConnection.promise;
    const code = await settledWithin(
      reserved`SELECT 1`.then(
        () => "answered",
        (error) => (error as { code?: string }).code,
      ),
      5_000,
    );
    expect(code).toBe("CONNECTION_CLOSED");
    // The write the statement scheduled would have thrown from a setImmediate: any has run by now.
    await nextTurn();
    expect(escaped).toEqual([]);
    expect([...(await sql`SELECT 2 AS x`)]).toEqual([{ x: 2 }]);
  } finally {
    await Promise.all([sql.end({ timeout: 1 }), admin.end({ timeout: 1 })]);
  }
});
