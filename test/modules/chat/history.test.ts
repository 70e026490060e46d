import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createTestContext, type TestContext } from "../../helpers/app";
import { apiClient, ok, settled } from "../../helpers/client";

let ctx: TestContext;
const [alice, bob, eve] = [6_000_001, 6_000_002, 6_000_003];
let matchId: number;
const sentIds: number[] = [];

const api = (as?: number) => apiClient(ctx, as);
type HistoryQuery = NonNullable<
  Parameters<ReturnType<ReturnType<typeof api>["api"]["mystery"]["chat"]>["get"]>[0]
>["query"];

beforeAll(async () => {
  ctx = await createTestContext();
  await ctx.addUsers({ id: alice }, { id: bob, city: "Gdansk" }, { id: eve });
  matchId = await ctx.addMatch(alice, bob);
  // 120 messages, alternating senders, sent one after another so ids follow the order.
  for (let i = 0; i < 120; i++) {
    const sent = await ok(
      api(i % 2 ? bob : alice).api.mystery["send-message"].post({ match_id: matchId, message_text: `message ${i}` }),
    );
    sentIds.push(sent.message_id);
  }
});
afterAll(() => ctx.close());

const history = (as: number, query: HistoryQuery = {}, match = matchId) =>
  api(as).api.mystery.chat({ match_id: match }).get({ query });

describe("GET /api/mystery/chat/{match_id}", () => {
  test("the first page is the newest 50, oldest first, with the match state", async () => {
    const call = history(alice);
    expect((await settled(call)).status).toBe(200);
    const page = await ok(call);
    expect(page).toEqual({
      success: true,
      match_id: matchId,
      partner: {
        user_id: "Mystery User",
        unlock_level: 3,
        age: 25,
        city: "Gdansk",
        photo: null,
        photo_blur: 25,
        interests: [],
        bio: null,
      },
      messages: expect.any(Array),
      message_count: 120,
      unlock_progress: 120,
      unlock_level: 3,
      next_unlock_at: 150,
      expires_at: expect.any(String),
      is_active: true,
      secret_chat_active: false,
      secret_chat_expires_at: null,
      has_more: true,
      partner_read_up_to: null,
      extend_cost: 50,
    });
    const messages = page.messages;
    expect(messages.map((m) => m.id)).toEqual(sentIds.slice(70));
    expect(messages[0]).toEqual({
      id: sentIds[70]!,
      is_me: true,
      message: "message 70",
      timestamp: expect.any(String),
      is_secret: false,
      self_destruct_at: null,
    });
    expect(messages[1]!.is_me).toBe(false);
  });

  test("before_id walks back page by page until has_more is false", async () => {
    const second = await ok(history(bob, { before_id: sentIds[70]! }));
    expect(second.messages.map((m) => m.id)).toEqual(sentIds.slice(20, 70));
    expect(second.has_more).toBe(true);
    expect(second.messages[0]!.is_me).toBe(false);
    const third = await ok(history(bob, { before_id: sentIds[20]!, limit: 50 }));
    expect(third.messages.map((m) => m.id)).toEqual(sentIds.slice(0, 20));
    expect(third.has_more).toBe(false);
  });

  test("partner_read_up_to is the partner's read marker, never the caller's own", async () => {
    const ended = await ctx.addMatch(bob, eve);
    await ctx.db.execute(
      sql`INSERT INTO read_markers (match_id, user_id, last_read_id, updated_at) VALUES (${matchId}, ${bob}, ${sentIds[40]!}, now())`,
    );
    expect((await ok(history(alice, { limit: 1 }))).partner_read_up_to).toBe(sentIds[40]!);
    expect((await ok(history(bob, { limit: 1 }))).partner_read_up_to).toBeNull();
    // Bob's marker in one match says nothing in another.
    expect((await ok(history(eve, { limit: 1 }, ended))).partner_read_up_to).toBeNull();
    await ctx.db.execute(sql`DELETE FROM read_markers WHERE match_id = ${matchId}`);
  });

  test("limit sets the page size, up to 200", async () => {
    const all = await ok(history(alice, { limit: 200 }));
    expect(all.messages).toHaveLength(120);
    expect(all.has_more).toBe(false);
    const exact = await ok(history(alice, { limit: 120 }));
    expect(exact.has_more).toBe(false);
    const one = await ok(history(alice, { limit: 1 }));
    expect(one.messages.map((m) => m.id)).toEqual([sentIds[119]!]);
  });

  test.each<HistoryQuery>([{ limit: 0 }, { limit: 201 }, { before_id: -1 }, { before_id: 1.5 }])(
    "%o is 422",
    async (query) => {
      const reply = await history(alice, query);
      expect(reply.status).toBe(422);
      expect(reply.error?.value.error).toBe("validation_failed");
    },
  );

  // A query the types forbid (a number parameter spelt with letters), so sent raw.
  test("?limit=abc is 422", async () => {
    const reply = await ctx.request("GET", `/api/mystery/chat/${matchId}?limit=abc`, { as: alice });
    expect(reply.status).toBe(422);
    expect(reply.body.error).toBe("validation_failed");
  });

  test("a stranger gets the same 404 as for a match that does not exist", async () => {
    const notMine = await settled(history(eve));
    const missing = await settled(history(eve, {}, 99999999));
    expect(notMine.status).toBe(404);
    expect(notMine.body).toEqual({ success: false, error: "match_not_found", message: "Match not found" });
    expect(missing.body).toEqual(notMine.body);
  });

  test("self-destructed messages are never returned", async () => {
    const [gone] = await ctx.query(
      sql`INSERT INTO messages (match_id, sender_id, text, seq, is_secret, self_destruct_at, created_at)
          VALUES (${matchId}, ${alice}, 'gone', 121, true, now() - interval '1 second', now()) RETURNING id`,
    );
    const page = await ok(history(bob, { limit: 5 }));
    expect(page.messages.map((m) => m.id)).not.toContain(gone.id);
    expect(JSON.stringify(page)).not.toContain("gone");
  });

  test("an ended match stays readable by both users", async () => {
    const ended = await ctx.addMatch(alice, eve, { isActive: false, endReason: "unmatched", messageCount: 1 });
    await ctx.db.execute(
      sql`INSERT INTO messages (match_id, sender_id, text, seq, created_at) VALUES (${ended}, ${eve}, 'bye', 1, now())`,
    );
    for (const user of [alice, eve]) {
      const call = history(user, {}, ended);
      expect((await settled(call)).status).toBe(200);
      const page = await ok(call);
      expect(page.is_active).toBe(false);
      expect(page.messages.map((m) => m.message)).toEqual(["bye"]);
    }
  });

  test("the partner's id never appears before level 4", async () => {
    const page = await ok(history(alice, { limit: 200 }));
    expect(JSON.stringify(page)).not.toContain(String(bob));
  });
});
