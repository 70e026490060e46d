import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import type { ServerEvent } from "../../../src/kernel/events";
import { userTopic } from "../../../src/realtime/topics";
import { countRows, createTestContext, type TestContext } from "../../helpers/app";
import { apiClient, ok, settled } from "../../helpers/client";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

let nextId = 20_000_000;
const freshIds = (n: number) => Array.from({ length: n }, () => nextId++);
type Preferences = Parameters<ReturnType<typeof apiClient>["api"]["mystery"]["find-match"]["post"]>[0];
const findMatch = (as: number, body: Preferences = {}) => apiClient(ctx, as).api.mystery["find-match"].post(body);

async function isolate(...ids: number[]) {
  await ctx.db.execute(sql`UPDATE users SET ban_until = now() + interval '1 day' WHERE ban_until IS NULL`);
  await ctx.db.execute(sql`UPDATE users SET ban_until = NULL WHERE id IN ${sql.raw(`(${ids.join(",")})`)}`);
}

/** Resolves once `userId` sits in the pool (their request has joined it and committed). */
async function inPool(userId: number): Promise<void> {
  for (;;) {
    const [row] = await ctx.query<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM match_pool WHERE user_id = ${userId} AND match_id IS NULL`,
    );
    if (row!.n > 0) return;
    await Bun.sleep(5);
  }
}

const usedToday = async (userId: number) =>
  (await ctx.query<{ count: number }>(sql`SELECT count FROM daily_match_counts WHERE user_id = ${userId}`))[0]?.count ??
  0;

/** The events published on a user's topic from now on. */
function eventsOf(userId: number): ServerEvent[] {
  const seen: ServerEvent[] = [];
  ctx.realtime.local.listen(userTopic(userId), (event) => seen.push(event));
  return seen;
}

describe("the pool: find-match with wait_seconds", () => {
  test("two searchers are paired the moment the second arrives: both 200, both new_match, both quotas", async () => {
    const [a, b] = freshIds(2) as [number, number];
    // b has just signed up (no activity recorded yet): nobody is a candidate for a at once.
    await ctx.addUsers({ id: a, gender: "male" }, { id: b, gender: "female", lastActiveAt: null });
    await isolate(a, b);
    const [aEvents, bEvents] = [eventsOf(a), eventsOf(b)];
    const waiting = findMatch(a, { wait_seconds: 20 });
    await inPool(a);
    expect(await usedToday(a)).toBe(0);
    const second = await ok(findMatch(b, { wait_seconds: 20 }));
    const first = await ok(waiting);
    expect(first.match_id).toBe(second.match_id);
    // Each seen from its own side: the partner is the level-0 mystery.
    expect(first.partner).toEqual({ user_id: "Mystery User", unlock_level: 0 });
    expect(second.partner).toEqual({ user_id: "Mystery User", unlock_level: 0 });
    expect(first.expires_at).toBe(second.expires_at);
    expect(aEvents).toContainEqual({ type: "new_match", match_id: first.match_id });
    expect(bEvents).toContainEqual({ type: "new_match", match_id: first.match_id });
    expect([await usedToday(a), await usedToday(b)]).toEqual([1, 1]);
    expect(await countRows(ctx.db, "match_pool")).toBe(0);
  });

  test("a searcher is paired with a request that does not wait, too", async () => {
    const [a, b] = freshIds(2) as [number, number];
    await ctx.addUsers({ id: a }, { id: b, lastActiveAt: null });
    await isolate(a, b);
    const waiting = findMatch(a, { wait_seconds: 20 });
    await inPool(a);
    const second = await ok(findMatch(b));
    expect((await ok(waiting)).match_id).toBe(second.match_id);
  });

  test("two searchers arriving at the same moment are paired with each other", async () => {
    const [a, b] = freshIds(2) as [number, number];
    // Neither has activity recorded yet: neither is a candidate for the other's instant pick.
    await ctx.addUsers({ id: a, lastActiveAt: null }, { id: b, lastActiveAt: null });
    await isolate(a, b);
    const [one, two] = await Promise.all([
      ok(findMatch(a, { wait_seconds: 20 })),
      ok(findMatch(b, { wait_seconds: 20 })),
    ]);
    expect(one.match_id).toBe(two.match_id);
    expect([await usedToday(a), await usedToday(b)]).toEqual([1, 1]);
  });

  test("unpaired at the end: 404 no_matches_found, no quota used, out of the pool", async () => {
    const [a] = freshIds(1) as [number];
    await ctx.addUsers({ id: a });
    await isolate(a);
    const reply = await settled(findMatch(a, { wait_seconds: 1 }));
    expect(reply).toEqual({
      status: 404,
      body: {
        success: false,
        error: "no_matches_found",
        message: "No matches found. Try again later or widen your filters.",
      },
    });
    expect(await usedToday(a)).toBe(0);
    expect(await countRows(ctx.db, `match_pool WHERE user_id = ${a}`)).toBe(0);
  });

  test("searchers who do not fit each other's preferences or filters are not paired", async () => {
    const [a, b, c] = freshIds(3) as [number, number, number];
    await ctx.addUsers(
      { id: a, gender: "male", age: 30, lookingFor: ["female"] },
      { id: b, gender: "male", age: 30, lastActiveAt: null },
      { id: c, gender: "female", age: 50, lastActiveAt: null },
    );
    await isolate(a, b, c);
    const waiting = findMatch(a, { wait_seconds: 20, preferred_age_max: 40 });
    await inPool(a);
    // b is a man (a wants women), c is 50 (a's request says at most 40): neither is paired with a.
    expect((await findMatch(b)).error?.value.error).toBe("no_matches_found");
    expect((await findMatch(c)).error?.value.error).toBe("no_matches_found");
    // d fits both ways: paired with the waiting a.
    const [d] = freshIds(1) as [number];
    await ctx.addUsers({ id: d, gender: "female", age: 35, lastActiveAt: null });
    const paired = await ok(findMatch(d));
    expect((await ok(waiting)).match_id).toBe(paired.match_id);
  });

  test("wait_seconds outside 1..30 is 422", async () => {
    const [a] = freshIds(1) as [number];
    await ctx.addUsers({ id: a });
    for (const wait of [0, 31]) {
      const reply = await findMatch(a, { wait_seconds: wait });
      expect(reply.status).toBe(422);
      expect(reply.error?.value.details?.map((d) => d.field)).toContain("wait_seconds");
    }
  });

  test("a waiter whose connection closes leaves the pool", async () => {
    const [a, b] = freshIds(2) as [number, number];
    await ctx.addUsers({ id: a }, { id: b, lastActiveAt: null });
    await isolate(a, b);
    const { http } = ctx.listen();
    const abort = new AbortController();
    const waiting = fetch(`${http}/api/mystery/find-match`, {
      method: "POST",
      headers: { authorization: `Bearer ${ctx.token(a)}`, "content-type": "application/json" },
      body: JSON.stringify({ wait_seconds: 30 }),
      signal: abort.signal,
    });
    await inPool(a);
    abort.abort();
    await waiting.catch(() => {});
    for (;;) {
      if ((await countRows(ctx.db, `match_pool WHERE user_id = ${a}`)) === 0) break;
      await Bun.sleep(5);
    }
    // a is still an active user whom b may be matched with, but no longer a searcher: a's quota stays untouched.
    expect((await findMatch(b)).status).toBe(200);
    expect([await usedToday(a), await usedToday(b)]).toEqual([0, 1]);
  });
});
