import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { answerSecretChat, requestSecretChat } from "../../../src/modules/chat/secret-chat";
import { sendMessage } from "../../../src/modules/chat/store";
import { SWEEP_LOCK_KEY, sweep } from "../../../src/modules/matches/sweeper";
import { countRows, createTestContext, ON_POSTGRES, type TestContext } from "../../helpers/app";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const minutes = (base: Date, n: number) => new Date(base.getTime() + n * 60_000);

test("deletes secret messages when due, ends expired matches and secret chats, driven by an injected clock", async () => {
  const [a, b, c, d] = [11_000_001, 11_000_002, 11_000_003, 11_000_004];
  await ctx.addUsers({ id: a }, { id: b }, { id: c }, { id: d });
  const t0 = new Date();
  const secretMatch = await ctx.addMatch(a, b, { createdAt: t0, expiresAt: minutes(t0, 48 * 60) });
  const shortMatch = await ctx.addMatch(c, d, { createdAt: t0, expiresAt: minutes(t0, 30) });

  await sendMessage(ctx.db, ctx.config.unlockThresholds, { matchId: secretMatch, senderId: a, text: "before" }, t0);
  await requestSecretChat(ctx.db, a, secretMatch, 5, t0);
  await answerSecretChat(ctx.db, b, secretMatch, true, minutes(t0, 1));
  await sendMessage(
    ctx.db,
    ctx.config.unlockThresholds,
    { matchId: secretMatch, senderId: b, text: "secret one" },
    minutes(t0, 2),
  );
  await sendMessage(
    ctx.db,
    ctx.config.unlockThresholds,
    { matchId: secretMatch, senderId: a, text: "secret two" },
    minutes(t0, 3),
  );

  // Before the secret chat ends nothing is due.
  expect(await sweep(ctx.db, minutes(t0, 4))).toEqual({
    deletedMessages: 0,
    expiredMatches: [],
    endedSecretChats: [],
    lapsedRequests: 0,
    expiringNotified: 0,
    pruned: 0,
  });
  expect(await countRows(ctx.db, `messages WHERE match_id = ${secretMatch}`)).toBe(3);

  // At the secret chat's end (1 + 5 minutes) its messages are deleted and the chat ends.
  expect(await sweep(ctx.db, minutes(t0, 6))).toEqual({
    deletedMessages: 2,
    expiredMatches: [],
    endedSecretChats: [{ id: secretMatch, userA: a, userB: b }],
    lapsedRequests: 0,
    expiringNotified: 0,
    pruned: 0,
  });
  const [left] = await ctx.query(sql`SELECT text FROM messages WHERE match_id = ${secretMatch}`);
  expect(left.text).toBe("before");
  // A message after the secret chat is an ordinary one.
  const after = await sendMessage(
    ctx.db,
    ctx.config.unlockThresholds,
    { matchId: secretMatch, senderId: a, text: "normal" },
    minutes(t0, 7),
  );
  expect(after.message.isSecret).toBe(false);

  // Past its expiry the short match is marked ended, with reason expired.
  expect((await sweep(ctx.db, minutes(t0, 31)))?.expiredMatches).toEqual([{ id: shortMatch, userA: c, userB: d }]);
  const [ended] = await ctx.query(sql`SELECT is_active, end_reason FROM matches WHERE id = ${shortMatch}`);
  expect(ended).toEqual({ is_active: false, end_reason: "expired" });
});

test("lapses pending requests past 10 minutes", async () => {
  const [a, b] = [11_000_011, 11_000_012];
  await ctx.addUsers({ id: a }, { id: b });
  const t0 = new Date();
  const matchId = await ctx.addMatch(a, b, { createdAt: t0, expiresAt: minutes(t0, 48 * 60) });
  await requestSecretChat(ctx.db, a, matchId, 5, t0);
  expect((await sweep(ctx.db, minutes(t0, 11)))?.lapsedRequests).toBe(1);
});

// Needs a second session holding the lock: PGlite has one session, whose transaction blocks the sweep.
test.skipIf(!ON_POSTGRES)(
  "only one process sweeps at a time: while another holds the lock, a sweep skips its round",
  async () => {
    await ctx.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${SWEEP_LOCK_KEY})`);
      expect(await sweep(ctx.db)).toBeNull();
    });
    expect(await sweep(ctx.db)).not.toBeNull();
  },
);

test("deletes pool rows a minute past their search's end (their request's process died)", async () => {
  const [a, b] = [11_000_101, 11_000_102];
  await ctx.addUsers({ id: a }, { id: b });
  const t0 = new Date();
  await ctx.db.execute(
    sql`INSERT INTO match_pool (user_id, ticket, age_min, age_max, joined_at, expires_at) VALUES
        (${a}, 'gone', 18, 100, ${t0.toISOString()}::timestamptz, ${minutes(t0, -2).toISOString()}::timestamptz),
        (${b}, 'ending', 18, 100, ${t0.toISOString()}::timestamptz, ${minutes(t0, -0.5).toISOString()}::timestamptz)`,
  );
  const result = await sweep(ctx.db, t0);
  expect(result?.pruned).toBe(1);
  expect(await ctx.query(sql`SELECT user_id FROM match_pool`)).toEqual([{ user_id: b }]);
});
