// The outbox's writes: each event writes its notification row in its own statement or transaction, only
// for reachable users with that kind on, coalesced where the contract says.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { sendMessage, storeSends } from "../../../src/modules/chat/store";
import { sweep } from "../../../src/modules/matches/sweeper";
import { createTestContext, type TestContext } from "../../helpers/app";
import { apiClient, ok } from "../../helpers/client";
import { conversation } from "../../helpers/conversation";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

let nextId = 51_000_000;
/** A user with a profile and, unless told otherwise, a reachable Telegram chat. */
async function user(options: { chat?: boolean; reachable?: boolean } = {}) {
  const id = nextId++;
  await ctx.addUsers({ id });
  if (options.chat ?? true)
    await ctx.query(
      sql`INSERT INTO telegram_chats (user_id, chat_id, reachable) VALUES (${id}, ${id}, ${options.reachable ?? true})`,
    );
  return id;
}

const rowsOf = (userId: number) =>
  ctx.query<{ kind: string; matchId: number; level: number; status: string }>(
    sql`SELECT kind, match_id::int AS "matchId", level, status FROM notifications WHERE user_id = ${userId} ORDER BY id`,
  );

const send = (matchId: number, senderId: number, text: string, now = new Date()) =>
  sendMessage(ctx.db, ctx.config.unlockThresholds, { matchId, senderId, text }, now);

describe("the outbox's writes", () => {
  test("a match found: the partner who did not ask gets new_match, the caller nothing", async () => {
    // Every other profile gets matched away first, so the pick can only find `partner`.
    const caller = await user();
    const partner = await user();
    await ctx.query(sql`UPDATE users SET age = NULL WHERE id NOT IN (${caller}, ${partner})`);
    try {
      const found = await ok(apiClient(ctx, caller).api.mystery["find-match"].post({}));
      expect(await rowsOf(partner)).toEqual([
        { kind: "new_match", matchId: found.match_id, level: 0, status: "pending" },
      ]);
      expect(await rowsOf(caller)).toEqual([]);
    } finally {
      await ctx.query(sql`UPDATE users SET age = 25 WHERE age IS NULL AND id >= 51000000`);
    }
  });

  test("messages: one pending row per recipient and match however many arrive, alone or batched", async () => {
    const a = await user();
    const b = await user();
    const matchId = await ctx.addMatch(a, b);
    await send(matchId, a, "one");
    await send(matchId, a, "two");
    await storeSends(
      ctx.db,
      ctx.config.unlockThresholds,
      [
        { matchId, senderId: a, text: "three" },
        { matchId, senderId: a, text: "four" },
      ],
      new Date(),
    );
    expect(await rowsOf(b)).toEqual([{ kind: "messages", matchId, level: 0, status: "pending" }]);
    expect(await rowsOf(a)).toEqual([]);
    // Once that row is no longer pending (sent, say), the next message writes a new one.
    await ctx.query(sql`UPDATE notifications SET status = 'sent', finished_at = now() WHERE user_id = ${b}`);
    await send(matchId, a, "five");
    expect((await rowsOf(b)).map((row) => row.status)).toEqual(["sent", "pending"]);
  });

  test("a level reached tells the partner of the sender who crossed it, once; alone and in a batch", async () => {
    const a = await user();
    const b = await user();
    const [first] = ctx.config.unlockThresholds;
    const alone = await ctx.addMatch(a, b, conversation(first! - 1));
    const stored = await send(alone, b, "the one that opens level 1");
    expect(stored.message.unlocked).toBe(1);
    expect((await rowsOf(a)).filter((row) => row.kind === "unlocks")).toEqual([
      { kind: "unlocks", matchId: alone, level: 1, status: "pending" },
    ]);

    const c = await user();
    const d = await user();
    const batched = await ctx.addMatch(c, d, conversation(first! - 1));
    await storeSends(
      ctx.db,
      ctx.config.unlockThresholds,
      [
        { matchId: batched, senderId: d, text: "opens level 1" },
        { matchId: batched, senderId: c, text: "after it" },
      ],
      new Date(),
    );
    expect((await rowsOf(c)).filter((row) => row.kind === "unlocks")).toEqual([
      { kind: "unlocks", matchId: batched, level: 1, status: "pending" },
    ]);
  });

  test("a secret-chat request tells the partner", async () => {
    const a = await user();
    const b = await user();
    const matchId = await ctx.addMatch(a, b);
    await ok(apiClient(ctx, a).api.mystery["request-secret-chat"].post({ match_id: matchId, duration_minutes: 15 }));
    expect(await rowsOf(b)).toEqual([{ kind: "secret_chat", matchId, level: 0, status: "pending" }]);
    expect(await rowsOf(a)).toEqual([]);
  });

  test("the sweeper: a match with messages expiring within 2 h tells both, once; one without messages nobody", async () => {
    const now = new Date();
    const a = await user();
    const b = await user();
    const c = await user();
    const inHour = new Date(now.getTime() + 3600_000);
    const talking = await ctx.addMatch(a, b, { ...conversation(4), expiresAt: inHour });
    const silent = await ctx.addMatch(a, c, { expiresAt: inHour });
    const later = await ctx.addMatch(b, c, { ...conversation(4), expiresAt: new Date(now.getTime() + 3 * 3600_000) });
    const swept = await sweep(ctx.db, now);
    expect(swept?.expiringNotified).toBe(2);
    for (const id of [a, b])
      expect(await rowsOf(id)).toEqual([{ kind: "expiring", matchId: talking, level: 0, status: "pending" }]);
    expect(await rowsOf(c)).toEqual([]);
    // Told once: the next sweeps write nothing more, even once the first rows are no longer pending.
    await ctx.query(sql`UPDATE notifications SET status = 'sent', finished_at = now() WHERE match_id = ${talking}`);
    expect((await sweep(ctx.db, new Date(now.getTime() + 60_000)))?.expiringNotified).toBe(0);
    expect([silent, later]).toHaveLength(2);
  });

  test("no row for a user without a chat, with an unreachable chat, or with the kind turned off", async () => {
    const a = await user();
    const noChat = await user({ chat: false });
    const blocked = await user({ reachable: false });
    const off = await user();
    await ok(apiClient(ctx, off).api.mystery.settings.put({ notifications: { messages: false } }));
    for (const partner of [noChat, blocked, off]) {
      const matchId = await ctx.addMatch(a, partner);
      await send(matchId, a, "hello");
      expect(await rowsOf(partner)).toEqual([]);
    }
    // Other kinds stay on for the one who turned messages off.
    const other = await user();
    const matchId = await ctx.addMatch(other, off);
    await ok(
      apiClient(ctx, other).api.mystery["request-secret-chat"].post({ match_id: matchId, duration_minutes: 15 }),
    );
    expect((await rowsOf(off)).map((row) => row.kind)).toEqual(["secret_chat"]);
  });

  test("the sweeper prunes handled updates and finished notifications older than 7 days", async () => {
    const now = new Date();
    const old = new Date(now.getTime() - 8 * 24 * 3600_000);
    await ctx.query(
      sql`INSERT INTO telegram_updates (update_id, received_at) VALUES (910001, ${old.toISOString()}::timestamptz), (910002, now())`,
    );
    const u = await user();
    await ctx.query(
      sql`INSERT INTO notifications (user_id, match_id, kind, status, created_at, not_before, finished_at)
          VALUES (${u}, 1, 'messages', 'sent', ${old.toISOString()}::timestamptz, ${old.toISOString()}::timestamptz, ${old.toISOString()}::timestamptz),
                 (${u}, 2, 'messages', 'sent', now(), now(), now())`,
    );
    expect((await sweep(ctx.db, now))?.pruned).toBe(2);
    const left = await ctx.query<{ id: number }>(
      sql`SELECT update_id AS id FROM telegram_updates WHERE update_id IN (910001, 910002)`,
    );
    expect(left.map((row) => Number(row.id))).toEqual([910002]);
    expect((await rowsOf(u)).map((row) => row.matchId)).toEqual([2]);
  });
});
