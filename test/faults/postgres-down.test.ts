// PostgreSQL stopped under load: requests fail fast with 503, /ready says so, and the same server
// process serves again by itself once PostgreSQL is back.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type ServerProcess, startServer } from "../helpers/process";
import { call, eventually, NO_REPLY, type Pair, seedPairs, serverEnv, type Timed, withSql } from "../helpers/remote";
import { type ThrowawayPostgres, throwawayServers } from "../helpers/throwaway";

let pg: ThrowawayPostgres;
let server: ServerProcess;
let pairs: Pair[];

// Registered first, so it runs first: the servers stop before their databases go.
afterAll(async () => {
  await server?.stop();
}, 30_000);
const servers = throwawayServers();

// The contract's "no hang past a few seconds": the only timing this test asserts.
const FAIL_FAST_MS = 5_000;
const CLIENTS = 6;

beforeAll(async () => {
  pg = await servers.postgres();
  // The sweeper runs every second, so transactions are in flight when PostgreSQL goes away too.
  server = await startServer(serverEnv(pg.url, { SWEEP_INTERVAL_SECONDS: "1" }));
  pairs = await seedPairs(pg.url, CLIENTS, 41_000_000);
}, 60_000);

interface Outcome extends Timed {
  route: "send" | "history";
  startedAt: number;
  client: number;
}

test("PostgreSQL stopped under load: fast 503s, /ready 503, then service resumes without a restart", async () => {
  const outcomes: Outcome[] = [];
  let running = true;
  const clients = pairs.map(async (pair, client) => {
    for (let i = 0; running; i++) {
      const startedAt = Date.now();
      const send = await call(server.http, "POST", "/api/mystery/send-message", {
        as: pair.a,
        body: { match_id: pair.matchId, message_text: `load ${i}` },
      });
      outcomes.push({ ...send, route: "send", startedAt, client });
      const readAt = Date.now();
      const history = await call(server.http, "GET", `/api/mystery/chat/${pair.matchId}?limit=5`, { as: pair.b });
      outcomes.push({ ...history, route: "history", startedAt: readAt, client });
      // Failing replies come back at once; pace the retries a little rather than spin.
      if (send.status !== 200 || history.status !== 200) await Bun.sleep(50);
    }
  });
  const countWhere = (predicate: (outcome: Outcome) => boolean) =>
    pairs.map((_, client) => outcomes.filter((o) => o.client === client && predicate(o)).length);

  // Healthy load first: every client has had sends and reads served.
  expect(await eventually(async () => countWhere((o) => o.status === 200).every((n) => n >= 4), 15_000)).toBe(true);

  await pg.stop();
  const stoppedAt = Date.now();
  expect((await call(server.http, "GET", "/health")).status).toBe(200);
  const ready = await call(server.http, "GET", "/ready");
  expect([ready.status, ready.body.error]).toEqual([503, "not_ready"]);
  expect(ready.ms).toBeLessThan(FAIL_FAST_MS);
  // Every client keeps asking while the database is down.
  const afterStop = (o: Outcome) => o.startedAt >= stoppedAt;
  expect(await eventually(async () => countWhere(afterStop).every((n) => n >= 6), 20_000)).toBe(true);
  const restartAt = Date.now();
  const down = outcomes.filter((o) => o.startedAt >= stoppedAt && o.startedAt + o.ms < restartAt);

  await pg.start();
  const startedAgainAt = Date.now();
  const serving = async () =>
    (await call(server.http, "GET", "/ready")).status === 200 &&
    countWhere((o) => o.startedAt >= startedAgainAt && o.status === 200).every((n) => n >= 2);
  expect(await eventually(serving, 20_000)).toBe(true);
  running = false;
  await Promise.all(clients);

  // While it was down: every request answered 503 database_unavailable with Retry-After, fast.
  expect(down.length).toBeGreaterThanOrEqual(CLIENTS * 6);
  const shapes = new Set(down.map((o) => `${o.status} ${o.body?.error} retry-after=${o.headers.get("retry-after")}`));
  expect([...shapes]).toEqual(["503 database_unavailable retry-after=5"]);
  expect(down.every((o) => o.body.success === false && typeof o.body.message === "string")).toBe(true);
  const slowest = Math.max(...outcomes.filter((o) => o.startedAt >= stoppedAt).map((o) => o.ms));
  expect(slowest).toBeLessThan(FAIL_FAST_MS);

  // At no time a 500, a dropped connection or a hang; the same process served throughout.
  const statuses = new Set(outcomes.map((o) => o.status));
  expect([...statuses].filter((status) => status !== 200 && status !== 503)).toEqual([]);
  expect(outcomes.filter((o) => o.status === NO_REPLY)).toEqual([]);
  expect(server.process.exitCode).toBeNull();

  // Every send that was answered 200 is stored.
  const acked = outcomes.filter((o) => o.route === "send" && o.status === 200).map((o) => o.body.message_id as number);
  const stored = await withSql(
    pg.url,
    (sql) => sql<{ id: number }[]>`SELECT id::int FROM messages WHERE id IN ${sql(acked)}`,
  );
  expect(stored.length).toBe(acked.length);
}, 90_000);
