import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { rows } from "../../../src/db/client";
import { matches } from "../../../src/db/schema";
import { blockUser } from "../../../src/modules/safety/service";
import { countRows, createTestContext, type TestContext } from "../../helpers/app";
import { apiClient, ok, settled } from "../../helpers/client";
import { conversation } from "../../helpers/conversation";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

let nextId = 20_000_000;
const freshIds = (n: number) => Array.from({ length: n }, () => nextId++);

async function newMatch(overrides: Parameters<TestContext["addMatch"]>[2] = {}) {
  const [a, b] = freshIds(2) as [number, number];
  await ctx.addUsers({ id: a }, { id: b });
  return { a, b, matchId: await ctx.addMatch(a, b, overrides) };
}

const api = (as?: number) => apiClient(ctx, as);
type Mystery = ReturnType<typeof api>["api"]["mystery"];
type BlockBody = Parameters<Mystery["block"]["post"]>[0];
type UnblockBody = Parameters<Mystery["unblock"]["post"]>[0];
const block = (as: number, body: BlockBody) => api(as).api.mystery.block.post(body);
const unblock = (as: number, body: UnblockBody) => api(as).api.mystery.unblock.post(body);
const blocked = (as: number) => api(as).api.mystery.blocked.get();
const findMatch = (as: number) => api(as).api.mystery["find-match"].post({});

const blockRows = (blockerId: number) =>
  rows<{ blocked_id: number; via_match_id: number | null; reason: string | null }>(
    ctx.db,
    sql`SELECT blocked_id, via_match_id, reason FROM blocks WHERE blocker_id = ${blockerId} ORDER BY blocked_id`,
  );

async function matchState(matchId: number) {
  const [row] = await ctx.db
    .select({
      isActive: matches.isActive,
      endedBy: matches.endedBy,
      endReason: matches.endReason,
      endedAt: matches.endedAt,
    })
    .from(matches)
    .where(eq(matches.id, matchId));
  return row!;
}

/** Makes `ids` the only users find-match may pick: everyone else is banned for the test. */
async function isolate(...ids: number[]) {
  await ctx.db.execute(sql`UPDATE users SET ban_until = now() + interval '1 day' WHERE ban_until IS NULL`);
  await ctx.db.execute(sql`UPDATE users SET ban_until = NULL WHERE id IN ${sql.raw(`(${ids.join(",")})`)}`);
}

const MATCH_NOT_FOUND = { success: false, error: "match_not_found", message: "Match not found" } as const;
const BLOCKED = { success: true, message: "User blocked" } as const;
const UNBLOCKED = { success: true, message: "User unblocked" } as const;

describe("POST /api/mystery/block", () => {
  test("by match: blocks the partner, records the match and ends it; the reply names nobody", async () => {
    const { a, b, matchId } = await newMatch();
    const before = Date.now();
    expect(await settled(block(a, { match_id: matchId, reason: "rude" }))).toEqual({ status: 200, body: BLOCKED });
    expect(await blockRows(a)).toEqual([{ blocked_id: b, via_match_id: matchId, reason: "rude" }]);
    const state = await matchState(matchId);
    expect(state).toEqual({ isActive: false, endedBy: a, endReason: "blocked", endedAt: expect.any(Date) });
    expect(state.endedAt!.getTime()).toBeGreaterThanOrEqual(before);
    expect(state.endedAt!.getTime()).toBeLessThanOrEqual(Date.now());
  });

  test("after a block neither user can write into the match: 410 match_ended", async () => {
    const { a, b, matchId } = await newMatch();
    await ok(block(b, { match_id: matchId }));
    for (const sender of [a, b]) {
      const reply = await settled(
        api(sender).api.mystery["send-message"].post({ match_id: matchId, message_text: "still there?" }),
      );
      expect(reply).toEqual({
        status: 410,
        body: { success: false, error: "match_ended", message: "This match has ended" },
      });
    }
    expect(await countRows(ctx.db, `messages WHERE match_id = ${matchId}`)).toBe(0);
  });

  test("by id: ends the match only where that id is known to the caller (level 4), and no other", async () => {
    const [a, b, c, d] = freshIds(4) as [number, number, number, number];
    await ctx.addUsers({ id: a }, { id: b }, { id: c }, { id: d });
    const revealed = await ctx.addMatch(a, b, conversation(150));
    const hidden = await ctx.addMatch(a, c, conversation(149));
    const other = await ctx.addMatch(a, d);
    const thresholds = ctx.config.unlockThresholds;
    expect(await blockUser(ctx.db, thresholds, a, { userId: b }, null)).toEqual({
      blockedId: b,
      endedMatchIds: [revealed],
    });
    expect((await matchState(revealed)).endReason).toBe("blocked");
    // c's id is hidden from a: the block is stored, but ending the match would confirm the guess.
    expect(await blockUser(ctx.db, thresholds, a, { userId: c }, null)).toEqual({ blockedId: c, endedMatchIds: [] });
    expect((await matchState(hidden)).isActive).toBe(true);
    expect((await matchState(other)).isActive).toBe(true);
    // A repeat has nothing left to end.
    expect(await blockUser(ctx.db, thresholds, a, { userId: b }, null)).toEqual({ blockedId: b, endedMatchIds: [] });
  });

  test("a match that had already ended keeps how it ended", async () => {
    const { a, b, matchId } = await newMatch({ isActive: false, endReason: "unmatched", endedBy: 1 });
    expect(await ok(block(a, { match_id: matchId }))).toEqual(BLOCKED);
    expect(await blockRows(a)).toEqual([{ blocked_id: b, via_match_id: matchId, reason: null }]);
    expect(await matchState(matchId)).toMatchObject({ endReason: "unmatched", endedBy: 1 });
  });

  test("is idempotent: a repeat is 200 and keeps the first block and the first ending", async () => {
    const { a, b, matchId } = await newMatch();
    await ok(block(a, { match_id: matchId, reason: "first" }));
    const ended = await matchState(matchId);
    expect(await settled(block(a, { block_user_id: b, reason: "second" }))).toEqual({ status: 200, body: BLOCKED });
    expect(await blockRows(a)).toEqual([{ blocked_id: b, via_match_id: matchId, reason: "first" }]);
    expect(await matchState(matchId)).toEqual(ended);
  });

  test("blocked users are never matched again, in either direction, until unblocked", async () => {
    const [a, b] = freshIds(2) as [number, number];
    await ctx.addUsers({ id: a }, { id: b });
    await isolate(a, b);
    expect((await block(a, { block_user_id: b })).status).toBe(200);
    for (const caller of [a, b]) {
      const reply = await findMatch(caller);
      expect([reply.status, reply.error?.value.error]).toEqual([404, "no_matches_found"]);
    }
    expect(await countRows(ctx.db, `matches WHERE user_a IN (${a}, ${b})`)).toBe(0);
    // The block alone kept them apart: once lifted, they pair.
    await ok(unblock(a, { block_user_id: b }));
    expect((await findMatch(b)).status).toBe(200);
  });

  test("a pair whose match was blocked is never matched again", async () => {
    const { a, b, matchId } = await newMatch();
    await isolate(a, b);
    await ok(block(a, { match_id: matchId }));
    for (const caller of [a, b]) {
      const reply = await findMatch(caller);
      expect([reply.status, reply.error?.value.error]).toEqual([404, "no_matches_found"]);
    }
    expect(await countRows(ctx.db, `matches WHERE user_a IN (${a}, ${b})`)).toBe(1);
  });

  test("a match the caller is not part of is the same 404 as a missing one, and nothing is blocked", async () => {
    const { matchId } = await newMatch();
    const [stranger] = freshIds(1) as [number];
    await ctx.addUsers({ id: stranger });
    const notMine = await settled(block(stranger, { match_id: matchId }));
    const missing = await settled(block(stranger, { match_id: 987_654_321 }));
    expect(notMine.status).toBe(404);
    expect(notMine.body).toEqual(MATCH_NOT_FOUND);
    expect(missing.body).toEqual(MATCH_NOT_FOUND);
    expect(await blockRows(stranger)).toEqual([]);
    expect((await matchState(matchId)).isActive).toBe(true);
  });

  test("by id: an id that never used the service gets the same 200, and the block holds once it registers", async () => {
    const [a] = freshIds(1) as [number];
    const newcomer = 999_999_999;
    await ctx.addUsers({ id: a });
    expect(await settled(block(a, { block_user_id: newcomer }))).toEqual({ status: 200, body: BLOCKED });
    expect(await blockRows(a)).toEqual([{ blocked_id: newcomer, via_match_id: null, reason: null }]);
    expect(await countRows(ctx.db, `users WHERE id = ${newcomer}`)).toBe(0);
  });

  test("by id: blocking yourself is 422", async () => {
    const [a] = freshIds(1) as [number];
    await ctx.addUsers({ id: a });
    const reply = await block(a, { block_user_id: a });
    expect(reply.status).toBe(422);
    expect(reply.error?.value.details).toEqual([{ field: "block_user_id", message: "must not be yourself" }]);
    expect(await blockRows(a)).toEqual([]);
  });

  test("a caller without a profile may block by id", async () => {
    const [a, b] = freshIds(2) as [number, number];
    await ctx.addUsers({ id: b });
    expect(await ok(block(a, { block_user_id: b }))).toEqual(BLOCKED);
    expect(await blockRows(a)).toEqual([{ blocked_id: b, via_match_id: null, reason: null }]);
  });

  test.each<[string, BlockBody]>([
    ["neither block_user_id nor match_id", {}],
    ["both block_user_id and match_id", { block_user_id: 1, match_id: 1 }],
  ])("%s is 422", async (_name, body) => {
    const [a] = freshIds(1) as [number];
    expect(await settled(block(a, body))).toEqual({
      status: 422,
      body: {
        success: false,
        error: "validation_failed",
        message: "Invalid body: block_user_id",
        details: [{ field: "block_user_id", message: "give exactly one of block_user_id and match_id" }],
      },
    });
  });

  test("a reason over 500 characters is 422", async () => {
    const { a, matchId } = await newMatch();
    const reply = await block(a, { match_id: matchId, reason: "x".repeat(501) });
    expect(reply.status).toBe(422);
    expect(reply.error?.value.details?.map((d) => d.field)).toEqual(["reason"]);
    expect((await matchState(matchId)).isActive).toBe(true);
  });

  test("a user_id other than the caller is 403; no credentials is 401", async () => {
    const { a, b, matchId } = await newMatch();
    const spoofed = await block(a, { user_id: b, match_id: matchId });
    expect([spoofed.status, spoofed.error?.value.error]).toEqual([403, "forbidden"]);
    const anonymous = await api().api.mystery.block.post({ match_id: matchId });
    expect([anonymous.status, anonymous.error?.value.error]).toEqual([401, "unauthorized"]);
    expect(await blockRows(a)).toEqual([]);
    expect((await matchState(matchId)).isActive).toBe(true);
  });
});

describe("POST /api/mystery/unblock", () => {
  test("by match: lifts the block, is idempotent, and does not revive the match", async () => {
    const { a, matchId } = await newMatch();
    await ok(block(a, { match_id: matchId }));
    for (let i = 0; i < 2; i++) {
      expect(await settled(unblock(a, { match_id: matchId }))).toEqual({ status: 200, body: UNBLOCKED });
    }
    expect(await blockRows(a)).toEqual([]);
    expect((await matchState(matchId)).isActive).toBe(false);
  });

  test("by id: lifts only the caller's own block", async () => {
    const [a, b] = freshIds(2) as [number, number];
    await ctx.addUsers({ id: a }, { id: b });
    await ok(block(a, { block_user_id: b }));
    await ok(block(b, { block_user_id: a }));
    expect(await ok(unblock(a, { block_user_id: b }))).toEqual(UNBLOCKED);
    expect(await blockRows(a)).toEqual([]);
    expect(await blockRows(b)).toEqual([{ blocked_id: a, via_match_id: null, reason: null }]);
  });

  test("the same addressing errors as block", async () => {
    const { a, b, matchId } = await newMatch();
    await ok(block(a, { match_id: matchId }));
    const [stranger] = freshIds(1) as [number];
    expect(await settled(unblock(stranger, { match_id: matchId }))).toEqual({ status: 404, body: MATCH_NOT_FOUND });
    // An id that never used the service: the same 200 as any other.
    expect(await settled(unblock(a, { block_user_id: 999_999_998 }))).toEqual({ status: 200, body: UNBLOCKED });
    const self = await unblock(a, { block_user_id: a });
    expect([self.status, self.error?.value.error]).toEqual([422, "validation_failed"]);
    const both = await unblock(a, { block_user_id: b, match_id: matchId });
    expect([both.status, both.error?.value.error]).toEqual([422, "validation_failed"]);
    const spoofed = await unblock(a, { user_id: b, match_id: matchId });
    expect([spoofed.status, spoofed.error?.value.error]).toEqual([403, "forbidden"]);
    expect(await blockRows(a)).toHaveLength(1);
  });
});

describe("GET /api/mystery/blocked", () => {
  test("shows an id only where the caller already knew it, newest first", async () => {
    const [me, byId, early, unlocked] = freshIds(4) as [number, number, number, number];
    await ctx.addUsers({ id: me }, { id: byId }, { id: early }, { id: unlocked });
    const earlyMatch = await ctx.addMatch(me, early, conversation(149));
    const unlockedMatch = await ctx.addMatch(unlocked, me, conversation(150));
    await ok(block(me, { block_user_id: byId, reason: "spam" }));
    await ok(block(me, { match_id: earlyMatch }));
    await ok(block(me, { match_id: unlockedMatch, reason: "rude" }));

    const call = blocked(me);
    expect(await settled(call)).toEqual({
      status: 200,
      body: {
        success: true,
        blocked: [
          { block_user_id: unlocked, match_id: unlockedMatch, reason: "rude", created_at: expect.any(String) },
          { block_user_id: null, match_id: earlyMatch, reason: null, created_at: expect.any(String) },
          { block_user_id: byId, match_id: null, reason: "spam", created_at: expect.any(String) },
        ],
      },
    });
    const list = await ok(call);
    expect(JSON.stringify(list)).not.toContain(String(early));
  });

  test("a premium caller sees every id, as premium unlocks level 4 at once", async () => {
    const { a, b, matchId } = await newMatch();
    await ctx.db.execute(sql`UPDATE users SET premium_until = now() + interval '1 day' WHERE id = ${a}`);
    await ok(block(a, { match_id: matchId }));
    expect((await ok(blocked(a))).blocked).toEqual([
      { block_user_id: b, match_id: matchId, reason: null, created_at: expect.any(String) },
    ]);
    // When premium lapses, the id is hidden again.
    await ctx.db.execute(sql`UPDATE users SET premium_until = now() - interval '1 day' WHERE id = ${a}`);
    expect((await ok(blocked(a))).blocked[0]!.block_user_id).toBeNull();
  });

  test("lists only the caller's own blocks; none is an empty list", async () => {
    const { a, b, matchId } = await newMatch();
    await ok(block(a, { match_id: matchId }));
    expect(await ok(blocked(b))).toEqual({ success: true, blocked: [] });
  });

  test("needs credentials", async () => {
    // The whole body: the route lists no 422, so Eden's error type for it includes Elysia's own validation shape.
    expect(await settled(api().api.mystery.blocked.get())).toEqual({
      status: 401,
      body: { success: false, error: "unauthorized", message: "Missing or invalid credentials" },
    });
  });
});
