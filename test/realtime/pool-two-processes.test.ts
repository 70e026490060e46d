import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { signToken } from "../../src/modules/auth/jwt";
import { createTestContext, JWT_SECRET, ON_POSTGRES, type TestContext } from "../helpers/app";
import { type ServerProcess, startServer } from "../helpers/process";
import { throwawayServers } from "../helpers/throwaway";

// Two real server processes share the test's PostgreSQL database and a redis-server of this test's own.
let ctx: TestContext;
let one: ServerProcess;
let two: ServerProcess;
const postgresOnly = test.skipIf(!ON_POSTGRES);

beforeAll(async () => {
  if (!ON_POSTGRES) return;
  ctx = await createTestContext();
  const redis = await servers.redis();
  const env = { DATABASE_URL: ctx.config.databaseUrl!, JWT_SECRET, REDIS_URL: redis.url };
  [one, two] = await Promise.all([startServer(env), startServer(env)]);
}, 60_000);
afterAll(async () => {
  await Promise.all([one?.stop(), two?.stop()]);
  await ctx?.close();
});
// Registered after the hook above, so the servers stop before their Redis does.
const servers = throwawayServers();

const findMatch = (server: ServerProcess, userId: number, body: object) =>
  fetch(`${server.http}/api/mystery/find-match`, {
    method: "POST",
    headers: { authorization: `Bearer ${signToken(JWT_SECRET, userId, 600)}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  }).then(async (response) => ({ status: response.status, body: await response.json() }));

async function inPool(userId: number): Promise<void> {
  for (;;) {
    const rows = await ctx.query(sql`SELECT 1 FROM match_pool WHERE user_id = ${userId} AND match_id IS NULL`);
    if (rows.length > 0) return;
    await Bun.sleep(5);
  }
}

postgresOnly("a searcher waiting on one process is paired with a searcher arriving on the other", async () => {
  const [a, b] = [14_000_001, 14_000_002];
  // b has no activity recorded yet, so a's instant pick finds nobody and a waits.
  await ctx.addUsers({ id: a, gender: "male" }, { id: b, gender: "female", lastActiveAt: null });
  const waiting = findMatch(one, a, { wait_seconds: 20 });
  await inPool(a);
  const second = await findMatch(two, b, { wait_seconds: 20 });
  const first = await waiting;
  expect(second.status).toBe(200);
  expect(first.status).toBe(200);
  expect(first.body.match_id).toBe(second.body.match_id);
  expect(first.body.partner).toEqual({ user_id: "Mystery User", unlock_level: 0 });
  const counts = await ctx.query<{ user_id: number; count: number }>(
    sql`SELECT user_id, count FROM daily_match_counts WHERE user_id IN (${a}, ${b}) ORDER BY user_id`,
  );
  expect(counts.map((row) => Number(row.count))).toEqual([1, 1]);
  expect(await ctx.query(sql`SELECT 1 FROM match_pool`)).toEqual([]);
});

postgresOnly("a waiter on one process that nobody pairs with gets 404 no_matches_found and uses no quota", async () => {
  const a = 14_000_003;
  await ctx.addUsers({ id: a });
  await ctx.db.execute(sql`UPDATE users SET ban_until = now() + interval '1 day' WHERE id <> ${a}`);
  const reply = await findMatch(one, a, { wait_seconds: 1 });
  expect(reply.status).toBe(404);
  expect(reply.body.error).toBe("no_matches_found");
  expect(await ctx.query(sql`SELECT 1 FROM daily_match_counts WHERE user_id = ${a} AND count > 0`)).toEqual([]);
});

postgresOnly(
  "a search waiting when its process gets SIGTERM answers 404 at once, and the process exits 0",
  async () => {
    const a = 14_000_004;
    await ctx.addUsers({ id: a });
    await ctx.db.execute(sql`UPDATE users SET ban_until = now() + interval '1 day' WHERE id <> ${a}`);
    // Its own process: the others serve the tests above. SHUTDOWN_TIMEOUT_SECONDS (10) is shorter than the wait.
    const third = await startServer({ DATABASE_URL: ctx.config.databaseUrl!, JWT_SECRET });
    const waiting = findMatch(third, a, { wait_seconds: 30 });
    await inPool(a);
    third.process.kill("SIGTERM");
    const reply = await waiting;
    expect([reply.status, reply.body.error]).toEqual([404, "no_matches_found"]);
    expect(await third.process.exited).toBe(0);
    expect(await ctx.query(sql`SELECT 1 FROM match_pool WHERE user_id = ${a}`)).toEqual([]);
  },
);
