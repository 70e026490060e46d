import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createTestContext, type TestContext } from "../../helpers/app";
import { apiClient, ok, settled } from "../../helpers/client";
import { conversation } from "../../helpers/conversation";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const hoursFromNow = (hours: number) => new Date(Date.now() + hours * 3600_000);
const api = (as?: number) => apiClient(ctx, as);
const send = (as: number, matchId: number, text: string) =>
  ok(api(as).api.mystery["send-message"].post({ match_id: matchId, message_text: text }));
const myMatches = (as: number, userId = as) => api(as).api.mystery["my-matches"]({ user_id: userId }).get();
const stats = (as: number, userId = as) => api(as).api.mystery.stats({ user_id: userId }).get();

describe("GET /api/mystery/my-matches/{user_id}", () => {
  test("lists active, unexpired matches by latest activity with unlock state and unread counts", async () => {
    const me = 2_000_001;
    const [quiet, chatty, ended, expired] = [2_000_002, 2_000_003, 2_000_004, 2_000_005];
    await ctx.addUsers(
      { id: me },
      { id: quiet, age: 33, city: "Riga" },
      { id: chatty, age: 41, city: "Kyiv" },
      { id: ended },
      { id: expired },
    );
    const quietMatch = await ctx.addMatch(me, quiet);
    const chattyMatch = await ctx.addMatch(chatty, me, conversation(19));
    await ctx.addMatch(me, ended, { isActive: false, endReason: "unmatched" });
    await ctx.addMatch(expired, me, { expiresAt: hoursFromNow(-1) });

    // The 20th message unlocks level 1; I have read the first of the partner's two.
    const first = await send(chatty, chattyMatch, "one");
    await send(chatty, chattyMatch, "two");
    await ctx.db.execute(
      sql`INSERT INTO read_markers (match_id, user_id, last_read_id, updated_at)
          VALUES (${chattyMatch}, ${me}, ${first.message_id}, now())`,
    );
    await send(me, chattyMatch, "mine does not count as unread");

    const reply = await settled(myMatches(me));
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      success: true,
      is_premium: false,
      matches: [
        {
          match_id: chattyMatch,
          partner: { user_id: "Mystery User", unlock_level: 1, age: 41, city: "Kyiv" },
          message_count: 22,
          unlock_progress: 20,
          unlock_level: 1,
          next_unlock_at: 60,
          expires_at: expect.any(String),
          secret_chat_active: false,
          last_message_at: expect.any(String),
          unread_count: 1,
          last_message: { is_me: true, message: "mine does not count as unread", timestamp: expect.any(String) },
        },
        {
          match_id: quietMatch,
          partner: { user_id: "Mystery User", unlock_level: 0 },
          message_count: 0,
          unlock_progress: 0,
          unlock_level: 0,
          next_unlock_at: 20,
          expires_at: expect.any(String),
          secret_chat_active: false,
          last_message_at: null,
          unread_count: 0,
          last_message: null,
        },
      ],
    });
    for (const id of [quiet, chatty, ended, expired]) expect(JSON.stringify(reply.body)).not.toContain(String(id));
  });

  test("last_message is the newest message not self-destructed, from the caller's side", async () => {
    const [me, partner] = [2_000_011, 2_000_012];
    await ctx.addUsers({ id: me }, { id: partner });
    const matchId = await ctx.addMatch(me, partner);
    await send(partner, matchId, "still here");
    const preview = async () => (await ok(myMatches(me))).matches[0]!.last_message;
    expect(await preview()).toEqual({ is_me: false, message: "still here", timestamp: expect.any(String) });
    // A secret message that self-destructed a second ago is never the preview, nor is its text anywhere.
    await ctx.db.execute(
      sql`INSERT INTO messages (match_id, sender_id, text, seq, is_secret, self_destruct_at, created_at)
          VALUES (${matchId}, ${partner}, 'vanished', 2, true, now() - interval '1 second', now())`,
    );
    expect(await preview()).toEqual({ is_me: false, message: "still here", timestamp: expect.any(String) });
    expect(JSON.stringify(await ok(myMatches(me)))).not.toContain("vanished");
    // One still running is shown.
    await ctx.db.execute(
      sql`INSERT INTO messages (match_id, sender_id, text, seq, is_secret, self_destruct_at, created_at)
          VALUES (${matchId}, ${partner}, 'for now', 3, true, now() + interval '1 hour', now())`,
    );
    expect((await preview())?.message).toBe("for now");
  });

  test("someone else's list is 403", async () => {
    const reply = await myMatches(2_000_001, 2_000_002);
    expect(reply.status).toBe(403);
    expect(reply.error?.value.error).toBe("forbidden");
  });

  test("a user with no matches gets an empty list", async () => {
    expect(await ok(myMatches(2_000_099))).toEqual({ success: true, is_premium: false, matches: [] });
  });
});

describe("GET /api/mystery/stats/{user_id}", () => {
  test("counts matches, today's requests and messages sent", async () => {
    const me = 3_000_001;
    const others = [3_000_002, 3_000_003, 3_000_004];
    await ctx.addUsers({ id: me }, ...others.map((id) => ({ id })));
    // Only this test's first two others are eligible; the third gets an ended match below.
    await ctx.db.execute(
      sql`UPDATE users SET ban_until = now() + interval '1 day' WHERE id < 3000000 OR id = ${others[2]!}`,
    );
    const call = api(me).api.mystery["find-match"].post({});
    expect((await settled(call)).status).toBe(200);
    const found = await ok(call);
    await ctx.addMatch(others[2]!, me, { isActive: false, endReason: "unmatched" });
    await send(me, found.match_id, "hello");
    await send(me, found.match_id, "again");

    expect(await ok(stats(me))).toEqual({
      success: true,
      user_id: me,
      is_premium: false,
      total_matches: 2,
      active_matches: 1,
      today_matches: 1,
      daily_limit: 3,
      messages_sent: 2,
    });
  });

  test("premium users have no daily limit", async () => {
    await ctx.addUsers({ id: 3_000_010, premiumUntil: hoursFromNow(24) });
    expect(await ok(stats(3_000_010))).toMatchObject({
      is_premium: true,
      daily_limit: null,
      total_matches: 0,
      today_matches: 0,
    });
  });

  test("someone else's stats are 403; a user never seen is 404", async () => {
    expect((await stats(3_000_001, 3_000_002)).status).toBe(403);
    const unknown = await stats(3_000_999);
    expect(unknown.status).toBe(404);
    expect(unknown.error?.value.error).toBe("user_not_found");
  });
});
