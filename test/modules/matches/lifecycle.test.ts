import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createTestContext, type TestContext } from "../../helpers/app";
import { apiClient, ok, settled } from "../../helpers/client";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const api = (as?: number) => apiClient(ctx, as);
type UnmatchBody = Parameters<ReturnType<typeof api>["api"]["mystery"]["unmatch"]["post"]>[0];
const unmatch = (as: number, body: UnmatchBody) => api(as).api.mystery.unmatch.post(body);
const extend = (as: number, matchId: number) => api(as).api.mystery["extend-match"].post({ match_id: matchId });
const send = (as: number, matchId: number, text: string) =>
  api(as).api.mystery["send-message"].post({ match_id: matchId, message_text: text });

let nextId = 8_000_000;
async function newMatch(overrides: Parameters<TestContext["addMatch"]>[2] = {}, coins = 0) {
  const a = nextId++;
  const b = nextId++;
  await ctx.addUsers({ id: a, coins }, { id: b });
  return { a, b, matchId: await ctx.addMatch(a, b, overrides) };
}

async function matchRow(matchId: number) {
  const [row] = await ctx.query(
    sql`SELECT is_active, ended_by, end_reason, end_note, expires_at FROM matches WHERE id = ${matchId}`,
  );
  return row;
}

async function coinsOf(userId: number): Promise<number> {
  const [row] = await ctx.query(sql`SELECT coins FROM users WHERE id = ${userId}`);
  return row.coins;
}

describe("POST /api/mystery/unmatch", () => {
  test("ends the match, records who and why; history stays readable, sends are 410, the list drops it", async () => {
    const { a, b, matchId } = await newMatch();
    await ok(send(b, matchId, "hey"));
    expect(await settled(unmatch(a, { match_id: matchId, reason: "not my type" }))).toEqual({
      status: 200,
      body: { success: true, message: "Match ended" },
    });
    expect(await matchRow(matchId)).toMatchObject({
      is_active: false,
      ended_by: a,
      end_reason: "unmatched",
      end_note: "not my type",
    });

    const late = await send(b, matchId, "wait");
    expect([late.status, late.error?.value.error]).toEqual([410, "match_ended"]);
    for (const user of [a, b]) {
      const history = await ok(api(user).api.mystery.chat({ match_id: matchId }).get());
      expect(history.messages.map((m) => m.message)).toEqual(["hey"]);
      const list = await ok(api(user).api.mystery["my-matches"]({ user_id: user }).get());
      expect(list.matches).toEqual([]);
    }
  });

  test("a second unmatch is 410; a stranger gets 404", async () => {
    const { a, matchId } = await newMatch();
    await ok(unmatch(a, { match_id: matchId }));
    const again = await unmatch(a, { match_id: matchId });
    expect([again.status, again.error?.value.error]).toEqual([410, "match_ended"]);
    const stranger = await unmatch(1, { match_id: matchId });
    expect([stranger.status, stranger.error?.value.error]).toEqual([404, "match_not_found"]);
  });

  test("a user_id other than the caller is 403 and changes nothing", async () => {
    const { a, b, matchId } = await newMatch();
    const reply = await unmatch(a, { match_id: matchId, user_id: b });
    expect(reply.status).toBe(403);
    expect((await matchRow(matchId)).is_active).toBe(true);
  });
});

describe("POST /api/mystery/extend-match", () => {
  test("a free user pays 50 coins for 24 more hours", async () => {
    const { a, matchId } = await newMatch({}, 120);
    const before = (await matchRow(matchId)).expires_at as Date;
    const reply = await settled(extend(a, matchId));
    const expected = new Date(new Date(before).getTime() + 24 * 3600_000).toISOString();
    expect(reply).toEqual({
      status: 200,
      body: {
        success: true,
        message: "Match extended by 24 hours",
        new_expiry: expected,
        cost: 50,
      },
    });
    expect(await coinsOf(a)).toBe(70);
    expect(new Date((await matchRow(matchId)).expires_at).toISOString()).toBe(expected);
  });

  test("premium users extend for free", async () => {
    const { a, matchId } = await newMatch({}, 0);
    await ctx.db.execute(sql`UPDATE users SET premium_until = now() + interval '1 day' WHERE id = ${a}`);
    expect((await ok(extend(a, matchId))).cost).toBe(0);
    expect(await coinsOf(a)).toBe(0);
  });

  test("without enough coins it is 402 insufficient_coins and nothing changes", async () => {
    const { a, matchId } = await newMatch({}, 49);
    const before = await matchRow(matchId);
    const reply = await extend(a, matchId);
    expect([reply.status, reply.error?.value.error]).toEqual([402, "insufficient_coins"]);
    expect(await coinsOf(a)).toBe(49);
    expect(await matchRow(matchId)).toEqual(before);
  });

  test("three concurrent extends with 60 coins: exactly one succeeds, balance 10", async () => {
    const { a, matchId } = await newMatch({}, 60);
    const replies = await Promise.all(Array.from({ length: 3 }, () => extend(a, matchId)));
    expect(replies.map((reply) => reply.status).sort()).toEqual([200, 402, 402]);
    expect(await coinsOf(a)).toBe(10);
  });

  test("ended and expired matches cannot be extended (410) and cost nothing", async () => {
    const ended = await newMatch({ isActive: false, endReason: "unmatched" }, 100);
    const expired = await newMatch({ expiresAt: new Date(Date.now() - 1000) }, 100);
    const one = await extend(ended.a, ended.matchId);
    const two = await extend(expired.a, expired.matchId);
    expect([one.status, one.error?.value.error]).toEqual([410, "match_ended"]);
    expect([two.status, two.error?.value.error]).toEqual([410, "match_expired"]);
    expect(await coinsOf(ended.a)).toBe(100);
    expect(await coinsOf(expired.a)).toBe(100);
  });

  test("extend racing unmatch ends in one consistent state", async () => {
    const { a, b, matchId } = await newMatch({}, 50);
    const [extended, end] = await Promise.all([extend(a, matchId), unmatch(b, { match_id: matchId })]);
    expect(end.status).toBe(200);
    // Either the extend went first (paid, then ended) or it saw the ended match (410, unpaid).
    if (extended.status === 200) expect(await coinsOf(a)).toBe(0);
    else {
      expect([extended.status, extended.error?.value.error]).toEqual([410, "match_ended"]);
      expect(await coinsOf(a)).toBe(50);
    }
    expect((await matchRow(matchId)).is_active).toBe(false);
  });
});
