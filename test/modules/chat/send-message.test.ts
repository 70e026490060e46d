import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { countRows, createTestContext, type TestContext } from "../../helpers/app";
import { apiClient, ok, settled } from "../../helpers/client";
import { conversation } from "../../helpers/conversation";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

let nextId = 5_000_000;
async function newMatch(overrides: Parameters<TestContext["addMatch"]>[2] = {}) {
  const a = nextId++;
  const b = nextId++;
  await ctx.addUsers({ id: a, age: 30, city: "Vilnius", bio: "b", interests: ["x"], photoUrl: "https://p/a.jpg" });
  await ctx.addUsers({ id: b, age: 31, city: "Tallinn" });
  return { a, b, matchId: await ctx.addMatch(a, b, overrides) };
}

const api = (as?: number) => apiClient(ctx, as);
type SendBody = Parameters<ReturnType<typeof api>["api"]["mystery"]["send-message"]["post"]>[0];
const send = (as: number, body: SendBody) => api(as).api.mystery["send-message"].post(body);
const history = (as: number, matchId: number) => ok(api(as).api.mystery.chat({ match_id: matchId }).get());

const messagesOf = (matchId: number) => countRows(ctx.db, `messages WHERE match_id = ${matchId}`);

describe("POST /api/mystery/send-message", () => {
  test("stores the message and counts it", async () => {
    const { a, matchId } = await newMatch();
    expect(await settled(send(a, { match_id: matchId, message_text: "Hello there" }))).toEqual({
      status: 200,
      body: {
        success: true,
        message_id: expect.any(Number),
        message_count: 1,
        unlock_progress: 0,
        unlock_level: 0,
        unlocked: null,
      },
    });
    expect(await messagesOf(matchId)).toBe(1);
  });

  test.each([
    [19, 1, 60],
    [59, 2, 100],
    [99, 3, 150],
    [149, 4, null],
  ])("the message after %i reaches level %i", async (count, level, next) => {
    // user_a wrote one more than user_b: b's message evens them, and unlock_progress reaches count + 1.
    const { a, b, matchId } = await newMatch(conversation(count));
    expect(await ok(send(b, { match_id: matchId, message_text: "over the line" }))).toEqual({
      success: true,
      message_id: expect.any(Number),
      message_count: count + 1,
      unlock_progress: count + 1,
      unlock_level: level,
      unlocked: level,
    });
    const page = await history(b, matchId);
    expect(page.unlock_level).toBe(level);
    expect(page.next_unlock_at).toBe(next);
    expect(page.partner.unlock_level).toBe(level);
    // The partner's real id shows only at the last level.
    expect(JSON.stringify(page).includes(String(a))).toBe(level === 4);
  });

  test("a retry with the same client_msg_id returns the first reply and stores nothing", async () => {
    const { a, matchId } = await newMatch();
    const body = { match_id: matchId, message_text: "once", client_msg_id: "c-1" };
    const first = await settled(send(a, body));
    const second = await settled(send(a, body));
    expect(first.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(await messagesOf(matchId)).toBe(1);
    // The partner may use the same client id for their own message.
    expect((await ok(send(a + 1, body))).message_count).toBe(2);
  });

  test("concurrent retries of one client_msg_id store one message", async () => {
    const { a, matchId } = await newMatch();
    const body = { match_id: matchId, message_text: "racing", client_msg_id: "same" };
    const replies = await Promise.all(Array.from({ length: 10 }, () => send(a, body)));
    expect(new Set(replies.map((reply) => reply.status))).toEqual(new Set([200]));
    expect(new Set(replies.map((reply) => reply.data?.message_id)).size).toBe(1);
    expect(await messagesOf(matchId)).toBe(1);
    const [row] = await ctx.query(sql`SELECT message_count FROM matches WHERE id = ${matchId}`);
    expect(row.message_count).toBe(1);
  });

  test("concurrent sends from both users: the count equals the rows, each count used once", async () => {
    const { a, b, matchId } = await newMatch();
    const replies = await Promise.all(
      Array.from({ length: 60 }, (_, i) => send(i % 2 ? a : b, { match_id: matchId, message_text: `m${i}` })),
    );
    expect(replies.every((reply) => reply.status === 200)).toBe(true);
    const counts = replies.map((reply) => reply.data!.message_count).sort((x, y) => x - y);
    expect(counts).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    const [row] = await ctx.query(
      sql`SELECT m.message_count, (SELECT count(*) FROM messages WHERE match_id = m.id) AS rows
          FROM matches m WHERE m.id = ${matchId}`,
    );
    expect(row).toEqual({ message_count: 60, rows: 60 });
  });

  test("a stranger and a missing match get the same 404", async () => {
    const { matchId } = await newMatch();
    const stranger = nextId++;
    await ctx.addUsers({ id: stranger });
    const notMine = await settled(send(stranger, { match_id: matchId, message_text: "hi" }));
    const missing = await settled(send(stranger, { match_id: 987654321, message_text: "hi" }));
    expect(notMine.status).toBe(404);
    expect(notMine.body).toEqual({ success: false, error: "match_not_found", message: "Match not found" });
    expect(missing.body).toEqual(notMine.body);
    expect(await messagesOf(matchId)).toBe(0);
  });

  test("an ended match is 410 match_ended; an expired one 410 match_expired", async () => {
    const ended = await newMatch({ isActive: false, endReason: "unmatched" });
    const expired = await newMatch({ expiresAt: new Date(Date.now() - 1000) });
    const swept = await newMatch({ isActive: false, endReason: "expired", expiresAt: new Date(Date.now() - 1000) });
    const one = await send(ended.a, { match_id: ended.matchId, message_text: "hi" });
    const two = await send(expired.a, { match_id: expired.matchId, message_text: "hi" });
    const three = await send(swept.a, { match_id: swept.matchId, message_text: "hi" });
    expect([one.status, one.error?.value.error]).toEqual([410, "match_ended"]);
    expect([two.status, two.error?.value.error]).toEqual([410, "match_expired"]);
    expect([three.status, three.error?.value.error]).toEqual([410, "match_expired"]);
    expect(await countRows(ctx.db, `messages WHERE match_id IN (${ended.matchId}, ${expired.matchId})`)).toBe(0);
  });

  test("a banned sender gets 403 banned", async () => {
    const { a, matchId } = await newMatch();
    await ctx.db.execute(sql`UPDATE users SET ban_until = now() + interval '1 hour' WHERE id = ${a}`);
    const reply = await send(a, { match_id: matchId, message_text: "hi" });
    expect([reply.status, reply.error?.value.error]).toEqual([403, "banned"]);
    expect(await messagesOf(matchId)).toBe(0);
  });

  test.each([
    ["only whitespace", " \n\t "],
    ["empty", ""],
    ["2001 characters", "x".repeat(2001)],
    ["2001 emoji", "😀".repeat(2001)],
  ])("%s is 422 and stores nothing", async (_name, text) => {
    const { a, matchId } = await newMatch();
    const reply = await send(a, { match_id: matchId, message_text: text });
    expect(reply.status).toBe(422);
    expect(reply.error?.value.details?.map((d) => d.field)).toEqual(["message_text"]);
    expect(await messagesOf(matchId)).toBe(0);
  });

  test("2000 emoji are 2000 characters and fit", async () => {
    const { a, matchId } = await newMatch();
    expect((await send(a, { match_id: matchId, message_text: "😀".repeat(2000) })).status).toBe(200);
  });

  test("a sender_id other than the caller is 403 and stores nothing", async () => {
    const { a, b, matchId } = await newMatch();
    const reply = await send(a, { match_id: matchId, sender_id: b, message_text: "spoof" });
    expect([reply.status, reply.error?.value.error]).toEqual([403, "forbidden"]);
    expect(await messagesOf(matchId)).toBe(0);
  });

  test("during a secret chat the message is secret and self-destructs when it ends", async () => {
    const ends = new Date(Date.now() + 10 * 60_000);
    const { a, matchId } = await newMatch({ secretChatExpiresAt: ends });
    await ok(send(a, { match_id: matchId, message_text: "psst" }));
    const page = await history(a, matchId);
    expect(page.messages[0]).toMatchObject({ is_secret: true, self_destruct_at: ends.toISOString() });
    expect(page.secret_chat_active).toBe(true);
    expect(page.secret_chat_expires_at).toBe(ends.toISOString());
  });
});
