import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createTestContext, type TestContext } from "../../helpers/app";

let ctx: TestContext;
const [alice, bob, eve] = [6_000_001, 6_000_002, 6_000_003];
let matchId: number;
const sentIds: number[] = [];

beforeAll(async () => {
  ctx = await createTestContext();
  await ctx.addUsers({ id: alice }, { id: bob, city: "Gdansk" }, { id: eve });
  matchId = await ctx.addMatch(alice, bob);
  // 120 messages, alternating senders, sent one after another so ids follow the order.
  for (let i = 0; i < 120; i++) {
    const reply = await ctx.request("POST", "/api/mystery/send-message", {
      as: i % 2 ? bob : alice,
      body: { match_id: matchId, message_text: `message ${i}` },
    });
    sentIds.push(reply.body.message_id);
  }
});
afterAll(() => ctx.close());

const history = (as: number, query = "") => ctx.request("GET", `/api/mystery/chat/${matchId}${query}`, { as });

describe("GET /api/mystery/chat/{match_id}", () => {
  test("the first page is the newest 50, oldest first, with the match state", async () => {
    const reply = await history(alice);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      success: true,
      match_id: matchId,
      partner: {
        user_id: "Mystery User",
        unlock_level: 3,
        age: 25,
        city: "Gdansk",
        photo_url: null,
        photo_blur: 25,
        interests: [],
        bio: null,
      },
      messages: expect.any(Array),
      message_count: 120,
      unlock_level: 3,
      next_unlock_at: 150,
      expires_at: expect.any(String),
      is_active: true,
      secret_chat_active: false,
      secret_chat_expires_at: null,
      has_more: true,
    });
    const messages = reply.body.messages;
    expect(messages.map((m: { id: number }) => m.id)).toEqual(sentIds.slice(70));
    expect(messages[0]).toEqual({
      id: sentIds[70],
      is_me: true,
      message: "message 70",
      timestamp: expect.any(String),
      is_secret: false,
      self_destruct_at: null,
    });
    expect(messages[1].is_me).toBe(false);
  });

  test("before_id walks back page by page until has_more is false", async () => {
    const second = await history(bob, `?before_id=${sentIds[70]}`);
    expect(second.body.messages.map((m: { id: number }) => m.id)).toEqual(sentIds.slice(20, 70));
    expect(second.body.has_more).toBe(true);
    expect(second.body.messages[0].is_me).toBe(false);
    const third = await history(bob, `?before_id=${sentIds[20]}&limit=50`);
    expect(third.body.messages.map((m: { id: number }) => m.id)).toEqual(sentIds.slice(0, 20));
    expect(third.body.has_more).toBe(false);
  });

  test("limit sets the page size, up to 200", async () => {
    const all = await history(alice, "?limit=200");
    expect(all.body.messages).toHaveLength(120);
    expect(all.body.has_more).toBe(false);
    const exact = await history(alice, "?limit=120");
    expect(exact.body.has_more).toBe(false);
    const one = await history(alice, "?limit=1");
    expect(one.body.messages.map((m: { id: number }) => m.id)).toEqual([sentIds[119]]);
  });

  test.each(["?limit=0", "?limit=201", "?limit=abc", "?before_id=-1", "?before_id=1.5"])("%s is 422", async (query) => {
    const reply = await history(alice, query);
    expect(reply.status).toBe(422);
    expect(reply.body.error).toBe("validation_failed");
  });

  test("a stranger gets the same 404 as for a match that does not exist", async () => {
    const notMine = await history(eve);
    const missing = await ctx.request("GET", "/api/mystery/chat/99999999", { as: eve });
    expect(notMine.status).toBe(404);
    expect(notMine.body).toEqual({ success: false, error: "match_not_found", message: "Match not found" });
    expect(missing.body).toEqual(notMine.body);
  });

  test("self-destructed messages are never returned", async () => {
    const [gone] = await ctx.query(
      sql`INSERT INTO messages (match_id, sender_id, text, seq, is_secret, self_destruct_at, created_at)
          VALUES (${matchId}, ${alice}, 'gone', 121, true, now() - interval '1 second', now()) RETURNING id`,
    );
    const reply = await history(bob, "?limit=5");
    expect(reply.body.messages.map((m: { id: number }) => m.id)).not.toContain(gone.id);
    expect(JSON.stringify(reply.body)).not.toContain("gone");
  });

  test("an ended match stays readable by both users", async () => {
    const ended = await ctx.addMatch(alice, eve, { isActive: false, endReason: "unmatched", messageCount: 1 });
    await ctx.db.execute(
      sql`INSERT INTO messages (match_id, sender_id, text, seq, created_at) VALUES (${ended}, ${eve}, 'bye', 1, now())`,
    );
    for (const user of [alice, eve]) {
      const reply = await ctx.request("GET", `/api/mystery/chat/${ended}`, { as: user });
      expect(reply.status).toBe(200);
      expect(reply.body.is_active).toBe(false);
      expect(reply.body.messages.map((m: { message: string }) => m.message)).toEqual(["bye"]);
    }
  });

  test("the partner's id never appears before level 4", async () => {
    const reply = await history(alice, "?limit=200");
    expect(JSON.stringify(reply.body)).not.toContain(String(bob));
  });
});
