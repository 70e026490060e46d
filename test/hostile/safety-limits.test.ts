// Block + unblock, reports and socket upgrades are limited per user (30, 10 and 30 a minute): guessing ids stays slow.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { signToken } from "../../src/modules/auth/jwt";
import { createTestContext, JWT_SECRET, ManualClock, type TestContext } from "../helpers/app";
import { apiClient, settled } from "../helpers/client";
import { conversation } from "../helpers/conversation";
import { upgradeStatus } from "../helpers/socket";

// The limits count per minute of this clock, which moves only when a test moves it.
const clock = new ManualClock(Date.now());
let ctx: TestContext;
let http: string;
beforeAll(async () => {
  ctx = await createTestContext(
    { RATE_LIMIT_BLOCKS_PER_MINUTE: "30", RATE_LIMIT_REPORTS_PER_MINUTE: "10", RATE_LIMIT_SOCKETS_PER_MINUTE: "30" },
    { clock: clock.now },
  );
  ({ http } = ctx.listen());
});
afterAll(() => ctx.close());
beforeEach(() => clock.nextWindow(15_000));

let nextId = 18_000_000;
const limited = {
  status: 429,
  body: { success: false as const, error: "rate_limited", message: "Too many requests; try again in 45 s" },
};

describe("per-user limits on the routes that take a guessed id", () => {
  test("30 blocks and unblocks a minute, then 429 with Retry-After, until the next minute", async () => {
    const caller = nextId++;
    await ctx.addUsers({ id: caller });
    const api = apiClient(ctx, caller).api.mystery;
    for (let i = 0; i < 15; i++) {
      expect((await api.block.post({ block_user_id: 1_000 + i })).status).toBe(200);
      expect((await api.unblock.post({ block_user_id: 1_000 + i })).status).toBe(200);
    }
    const refused = await api.block.post({ block_user_id: 5_000 });
    expect(await settled(Promise.resolve(refused))).toEqual(limited);
    expect(refused.response.headers.get("retry-after")).toBe("45");
    expect(await settled(api.unblock.post({ block_user_id: 5_000 }))).toEqual(limited);
    clock.nextWindow();
    expect((await api.block.post({ block_user_id: 5_000 })).status).toBe(200);
  });

  test("10 reports a minute", async () => {
    const [caller, partner] = [nextId++, nextId++];
    await ctx.addUsers({ id: caller }, { id: partner });
    const matchId = await ctx.addMatch(caller, partner, conversation(150));
    const api = apiClient(ctx, caller).api.mystery;
    const report = () => api.report.post({ match_id: matchId, content_type: "match", reason: "x" });
    for (let i = 0; i < 10; i++) expect((await report()).status).toBe(200);
    expect(await settled(report())).toEqual(limited);
    // Another user's allowance is their own.
    const other = apiClient(ctx, partner).api.mystery;
    expect((await other.report.post({ match_id: matchId, content_type: "match", reason: "x" })).status).toBe(200);
  });

  test("30 socket upgrades a minute, counted before any database work", async () => {
    const [user, partner] = [nextId++, nextId++];
    await ctx.addUsers({ id: user }, { id: partner });
    const matchId = await ctx.addMatch(user, partner);
    const path = (match: number) =>
      `${http}/api/mystery/ws/chat/${match}/${user}?token=${signToken(JWT_SECRET, user, 600)}`;
    // Upgrades for a match that is not theirs: refused with 404 after counting, so they cost no socket.
    for (let i = 0; i < 30; i++) expect((await upgradeStatus(path(987_654_321))).status).toBe(404);
    expect(await upgradeStatus(path(matchId))).toEqual(limited);
  });
});
