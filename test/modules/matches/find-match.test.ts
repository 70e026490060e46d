import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { countRows, createTestContext, type TestContext } from "../../helpers/app";
import { apiClient, ok, settled } from "../../helpers/client";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

// Each test uses its own id range so the pool of candidates is under its control.
let nextId = 10_000_000;
const freshIds = (n: number) => Array.from({ length: n }, () => nextId++);
const future = () => new Date(Date.now() + 86_400_000);

const api = (as?: number) => apiClient(ctx, as);
type Preferences = Parameters<ReturnType<typeof api>["api"]["mystery"]["find-match"]["post"]>[0];
const findMatch = (as: number, body: Preferences = {}) => api(as).api.mystery["find-match"].post(body);

async function matchedPartners(userId: number): Promise<number[]> {
  const result = await ctx.query<{ partner: number }>(
    sql`SELECT CASE WHEN user_a = ${userId} THEN user_b ELSE user_a END AS partner FROM matches
        WHERE user_a = ${userId} OR user_b = ${userId} ORDER BY id`,
  );
  return result.map((row: { partner: number }) => row.partner);
}

/** Marks `ids` as the only eligible strangers: everyone else in the table is banned for the test. */
async function isolate(...ids: number[]) {
  await ctx.db.execute(sql`UPDATE users SET ban_until = now() + interval '1 day' WHERE ban_until IS NULL`);
  await ctx.db.execute(sql`UPDATE users SET ban_until = NULL WHERE id IN ${sql.raw(`(${ids.join(",")})`)}`);
}

describe("POST /api/mystery/find-match", () => {
  test("pairs the caller with a stranger and shows only the level-0 partner", async () => {
    const [me, partner] = freshIds(2) as [number, number];
    await ctx.addUsers({ id: me, gender: "male" }, { id: partner, gender: "female", city: "Oslo", bio: "secret" });
    await isolate(me, partner);
    const before = Date.now();
    const call = findMatch(me);
    expect(await settled(call)).toEqual({
      status: 200,
      body: {
        success: true,
        match_id: expect.any(Number),
        expires_at: expect.any(String),
        is_premium: false,
        message_count: 0,
        unlock_progress: 0,
        unlock_level: 0,
        next_unlock_at: 20,
        partner: { user_id: "Mystery User", unlock_level: 0 },
      },
    });
    const found = await ok(call);
    const lifetime = Date.parse(found.expires_at) - before;
    expect(lifetime).toBeGreaterThanOrEqual(48 * 3600_000 - 1000);
    expect(lifetime).toBeLessThanOrEqual(48 * 3600_000 + 5000);
    expect(JSON.stringify(found)).not.toContain(String(partner));
    expect(await matchedPartners(me)).toEqual([partner]);
  });

  test("a user without a profile gets 404 user_not_found", async () => {
    const reply = await findMatch(freshIds(1)[0]!);
    expect(reply.status).toBe(404);
    expect(reply.error?.value.error).toBe("user_not_found");
    expect(reply.error?.value.message).toBe("User not found. Please register first.");
  });

  test("a banned caller gets 403 banned", async () => {
    const [me, partner] = freshIds(2) as [number, number];
    await ctx.addUsers({ id: me }, { id: partner });
    await isolate(me, partner);
    await ctx.db.execute(sql`UPDATE users SET ban_until = now() + interval '1 hour' WHERE id = ${me}`);
    const reply = await findMatch(me);
    expect(reply.status).toBe(403);
    expect(reply.error?.value.error).toBe("banned");
    expect(await matchedPartners(me)).toEqual([]);
  });

  test("no candidate is 404 no_matches_found and uses none of the daily quota", async () => {
    const [me, a, b, c] = freshIds(4) as [number, number, number, number];
    await ctx.addUsers({ id: me });
    await isolate(me);
    for (let i = 0; i < 5; i++) {
      const reply = await findMatch(me);
      expect(reply.status).toBe(404);
      expect(reply.error?.value.error).toBe("no_matches_found");
    }
    await ctx.addUsers({ id: a }, { id: b }, { id: c });
    for (let i = 0; i < 3; i++) expect((await findMatch(me)).status).toBe(200);
    expect((await findMatch(me)).status).toBe(429);
  });

  test("free users get three matches a day, then 429 daily_limit_reached", async () => {
    const ids = freshIds(6);
    const me = ids[0]!;
    await ctx.addUsers(...ids.map((id) => ({ id })));
    await isolate(...ids);
    for (let i = 0; i < 3; i++) expect((await findMatch(me)).status).toBe(200);
    expect(await settled(findMatch(me))).toEqual({
      status: 429,
      body: {
        success: false,
        error: "daily_limit_reached",
        message: "You've reached your daily limit of 3 matches. Upgrade to Premium!",
      },
    });
    expect(await matchedPartners(me)).toHaveLength(3);
  });

  test("20 concurrent requests from one free user create exactly 3 matches", async () => {
    const ids = freshIds(31);
    const me = ids[0]!;
    await ctx.addUsers(...ids.map((id) => ({ id })));
    await isolate(...ids);
    const replies = await Promise.all(Array.from({ length: 20 }, () => findMatch(me)));
    const statuses = replies.map((reply) => reply.status).sort();
    expect(statuses).toEqual([...Array(3).fill(200), ...Array(17).fill(429)]);
    expect(await matchedPartners(me)).toHaveLength(3);
  });

  test("premium users have no daily limit", async () => {
    const ids = freshIds(6);
    const me = ids[0]!;
    await ctx.addUsers(...ids.map((id) => ({ id, premiumUntil: id === me ? future() : null })));
    await isolate(...ids);
    for (let i = 0; i < 5; i++) expect((await findMatch(me)).status).toBe(200);
    expect(new Set(await matchedPartners(me)).size).toBe(5);
  });

  test("a pair is matched at most once, whichever side asks", async () => {
    const [me, partner] = freshIds(2) as [number, number];
    await ctx.addUsers({ id: me }, { id: partner });
    await isolate(me, partner);
    expect((await findMatch(me)).status).toBe(200);
    expect((await findMatch(me)).error?.value.error).toBe("no_matches_found");
    expect((await findMatch(partner)).error?.value.error).toBe("no_matches_found");
    expect(await countRows(ctx.db, `matches WHERE least(user_a, user_b) = ${Math.min(me, partner)}`)).toBe(1);
  });

  test("two users asking at once cannot be matched twice", async () => {
    const [a, b] = freshIds(2) as [number, number];
    await ctx.addUsers({ id: a }, { id: b });
    await isolate(a, b);
    const replies = await Promise.all([findMatch(a), findMatch(b)]);
    expect(replies.map((reply) => reply.status).sort()).toEqual([200, 404]);
    expect(await matchedPartners(a)).toEqual([b]);
  });

  test("blocked pairs are never candidates, in either direction", async () => {
    const [me, blockedByMe, blockingMe, free] = freshIds(4) as [number, number, number, number];
    await ctx.addUsers({ id: me }, { id: blockedByMe }, { id: blockingMe }, { id: free });
    await isolate(me, blockedByMe, blockingMe, free);
    await ctx.db.execute(
      sql`INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES
          (${me}, ${blockedByMe}, now()), (${blockingMe}, ${me}, now())`,
    );
    expect((await findMatch(me)).status).toBe(200);
    expect((await findMatch(me)).error?.value.error).toBe("no_matches_found");
    expect(await matchedPartners(me)).toEqual([free]);
  });

  test("banned users and users without a profile are never candidates", async () => {
    const [me, bannedUser, noProfile] = freshIds(3) as [number, number, number];
    await ctx.addUsers({ id: me }, { id: bannedUser });
    await ctx.db.execute(sql`INSERT INTO users (id) VALUES (${noProfile})`);
    await isolate(me, noProfile);
    expect((await findMatch(me)).error?.value.error).toBe("no_matches_found");
  });

  test("the age range applies to every caller; min above max is 422", async () => {
    const [me, young, old] = freshIds(3) as [number, number, number];
    await ctx.addUsers({ id: me }, { id: young, age: 20 }, { id: old, age: 60 });
    await isolate(me, young, old);
    const reply = await findMatch(me, { preferred_age_min: 50, preferred_age_max: 70 });
    expect(reply.status).toBe(200);
    expect(await matchedPartners(me)).toEqual([old]);
    const bad = await findMatch(me, { preferred_age_min: 40, preferred_age_max: 30 });
    expect(bad.status).toBe(422);
    expect(bad.error?.value.details).toEqual([
      { field: "preferred_age_min", message: "must not be greater than preferred_age_max" },
    ]);
  });

  test("gender and city filters apply to premium callers", async () => {
    const [me, wrongGender, wrongCity, right] = freshIds(4) as [number, number, number, number];
    await ctx.addUsers(
      { id: me, premiumUntil: future() },
      { id: wrongGender, gender: "male", city: "Berlin" },
      { id: wrongCity, gender: "female", city: "Paris" },
      { id: right, gender: "female", city: "West Berlin" },
    );
    await isolate(me, wrongGender, wrongCity, right);
    const call = findMatch(me, { preferred_gender: "female", preferred_city: "berlin" });
    expect((await settled(call)).status).toBe(200);
    const found = await ok(call);
    expect(found.is_premium).toBe(true);
    // A premium viewer sees the whole profile at once.
    expect(found.partner).toMatchObject({ user_id: right, unlock_level: 4, gender: "female", photo_blur: 0 });
    expect((await findMatch(me, { preferred_gender: "female", preferred_city: "berlin" })).error?.value.error).toBe(
      "no_matches_found",
    );
  });

  test("a city filter treats % and _ literally", async () => {
    const [me, other] = freshIds(2) as [number, number];
    await ctx.addUsers({ id: me, premiumUntil: future() }, { id: other, city: "Rome" });
    await isolate(me, other);
    expect((await findMatch(me, { preferred_city: "%" })).error?.value.error).toBe("no_matches_found");
  });

  test("free callers' gender and city filters are ignored", async () => {
    const [me, other] = freshIds(2) as [number, number];
    await ctx.addUsers({ id: me }, { id: other, gender: "male", city: "Rome" });
    await isolate(me, other);
    const reply = await findMatch(me, { preferred_gender: "female", preferred_city: "Tokyo" });
    expect(reply.status).toBe(200);
    expect(await matchedPartners(me)).toEqual([other]);
  });

  const ago = (ms: number) => new Date(Date.now() - ms);
  const MINUTE = 60_000;
  const DAY = 86_400_000;

  test("only users active within MATCH_ACTIVE_DAYS (14) are candidates", async () => {
    const [me, stale, never, recent] = freshIds(4) as [number, number, number, number];
    await ctx.addUsers(
      { id: me, premiumUntil: future() },
      { id: stale, lastActiveAt: ago(15 * DAY) },
      { id: never, lastActiveAt: null },
      { id: recent, lastActiveAt: ago(13 * DAY) },
    );
    await isolate(me, stale, never, recent);
    expect((await findMatch(me)).status).toBe(200);
    expect((await findMatch(me)).error?.value.error).toBe("no_matches_found");
    expect(await matchedPartners(me)).toEqual([recent]);
  });

  test("activity tiers: online users first, then users active today, then the rest", async () => {
    const [me, rest, today, online] = freshIds(4) as [number, number, number, number];
    await ctx.addUsers(
      { id: me, premiumUntil: future() },
      { id: rest, lastActiveAt: ago(5 * DAY) },
      { id: today, lastActiveAt: ago(3 * 3600_000) },
      { id: online, lastActiveAt: ago(MINUTE) },
    );
    await isolate(me, rest, today, online);
    for (let i = 0; i < 3; i++) expect((await findMatch(me)).status).toBe(200);
    expect(await matchedPartners(me)).toEqual([online, today, rest]);
  });

  test("mutual preferences: the candidate's looking_for and age range must accept the caller", async () => {
    const [me, wantsWomen, wantsOlder, wantsMen, wantsMyAge] = freshIds(5) as [number, number, number, number, number];
    await ctx.addUsers(
      { id: me, gender: "male", age: 30, premiumUntil: future() },
      { id: wantsWomen, lookingFor: ["female"] },
      { id: wantsOlder, ageMin: 40, ageMax: 60 },
      { id: wantsMen, lookingFor: ["male"] },
      { id: wantsMyAge, ageMin: 25, ageMax: 35 },
    );
    await isolate(me, wantsWomen, wantsOlder, wantsMen, wantsMyAge);
    for (let i = 0; i < 2; i++) expect((await findMatch(me)).status).toBe(200);
    expect((await findMatch(me)).error?.value.error).toBe("no_matches_found");
    expect((await matchedPartners(me)).sort()).toEqual([wantsMen, wantsMyAge].sort());
  });

  test("mutual preferences: the caller's own looking_for and age range apply, for free callers too", async () => {
    const [me, man, old, woman] = freshIds(4) as [number, number, number, number];
    await ctx.addUsers(
      { id: me, gender: "female", lookingFor: ["female", "other"], ageMin: 20, ageMax: 35 },
      { id: man, gender: "male", age: 25 },
      { id: old, gender: "female", age: 50 },
      { id: woman, gender: "female", age: 30 },
    );
    await isolate(me, man, old, woman);
    expect((await findMatch(me)).status).toBe(200);
    expect((await findMatch(me)).error?.value.error).toBe("no_matches_found");
    expect(await matchedPartners(me)).toEqual([woman]);
  });

  test("the request's age range narrows the stored preferences further", async () => {
    const [me, young, middle] = freshIds(3) as [number, number, number];
    await ctx.addUsers({ id: me, ageMin: 20, ageMax: 40 }, { id: young, age: 22 }, { id: middle, age: 33 });
    await isolate(me, young, middle);
    expect((await findMatch(me, { preferred_age_min: 30 })).status).toBe(200);
    expect((await findMatch(me, { preferred_age_min: 30 })).error?.value.error).toBe("no_matches_found");
    expect(await matchedPartners(me)).toEqual([middle]);
  });

  test("shared interests: within a tier more shared interests come first, whatever the letter case", async () => {
    const [me, none, one, two, twoOld] = freshIds(5) as [number, number, number, number, number];
    await ctx.addUsers(
      { id: me, interests: ["Chess", "jazz", "hiking"], premiumUntil: future() },
      { id: none, interests: ["surf"] },
      { id: one, interests: ["JAZZ", "surf"] },
      { id: two, interests: ["chess", "Hiking", "chess"] },
      // Two shared interests, but a tier lower: the tier wins.
      { id: twoOld, interests: ["chess", "jazz"], lastActiveAt: ago(2 * DAY) },
    );
    await isolate(me, none, one, two, twoOld);
    for (let i = 0; i < 4; i++) expect((await findMatch(me)).status).toBe(200);
    expect(await matchedPartners(me)).toEqual([two, one, none, twoOld]);
  });

  test("shared interests: random among equals (statistical, with a margin)", async () => {
    // 4 candidates sharing one interest each, 1 sharing none; 80 callers pick once each.
    const candidates = freshIds(4);
    const [other] = freshIds(1) as [number];
    const callers = freshIds(80);
    await ctx.addUsers(
      ...candidates.map((id) => ({ id, interests: ["tea"] })),
      { id: other },
      ...callers.map((id) => ({ id, interests: ["tea", "cats"], lastActiveAt: ago(20 * DAY) })),
    );
    await isolate(...candidates, other, ...callers);
    const counts = new Map<number, number>();
    for (const caller of callers) {
      expect((await findMatch(caller)).status).toBe(200);
      const [partner] = await matchedPartners(caller);
      counts.set(partner!, (counts.get(partner!) ?? 0) + 1);
    }
    expect(counts.get(other)).toBeUndefined();
    // Each is expected 20 times; below 8 or above 32 happens with a probability under 1e-4 each.
    for (const id of candidates) {
      expect(counts.get(id) ?? 0).toBeGreaterThanOrEqual(8);
      expect(counts.get(id) ?? 0).toBeLessThanOrEqual(32);
    }
  });

  test("never twice, with a tier mostly matched already: the one left in it comes before a lower tier", async () => {
    // 100 online users the caller was matched with, 1 online user not yet, 1 active today. The pick
    // samples 32 of a tier first; the one left is usually outside that sample, and must still win.
    // The one left was active last: a walk starting before the others (2 times in 3) meets it after them.
    for (let round = 0; round < 4; round++) {
      const [me, left, today] = freshIds(3) as [number, number, number];
      const matched = freshIds(100);
      await ctx.addUsers(
        { id: me, premiumUntil: future() },
        { id: left, lastActiveAt: new Date() },
        { id: today, lastActiveAt: ago(5 * 3600_000) },
        ...matched.map((id) => ({ id, lastActiveAt: ago(MINUTE) })),
      );
      await isolate(me, left, today, ...matched);
      for (const id of matched) await ctx.addMatch(id, me);
      expect((await findMatch(me)).status).toBe(200);
      expect((await matchedPartners(me)).at(-1)).toBe(left);
    }
  });
});
