// One side alone cannot unlock the partner: levels follow unlock_progress, which needs both sides writing.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createTestContext, type TestContext } from "../helpers/app";
import { apiClient, ok } from "../helpers/client";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

test("150 one-character messages from one side unlock nothing; the partner's replies then open the levels", async () => {
  const [attacker, victim] = [16_100_001, 16_100_002];
  await ctx.addUsers({ id: attacker }, { id: victim, age: 29, city: "Porto", gender: "female" });
  const matchId = await ctx.addMatch(attacker, victim);
  const say = (as: number) =>
    ok(apiClient(ctx, as).api.mystery["send-message"].post({ match_id: matchId, message_text: "." }));

  for (let i = 0; i < 150; i++) {
    const reply = await say(attacker);
    expect([reply.message_count, reply.unlock_progress, reply.unlock_level, reply.unlocked]).toEqual([
      i + 1,
      0,
      0,
      null,
    ]);
  }
  const page = await ok(
    apiClient(ctx, attacker)
      .api.mystery.chat({ match_id: matchId })
      .get({ query: { limit: 1 } }),
  );
  expect([page.message_count, page.unlock_progress, page.unlock_level, page.next_unlock_at]).toEqual([150, 0, 0, 20]);
  expect(page.partner).toEqual({ user_id: "Mystery User", unlock_level: 0 });

  // Each reply of the victim adds 2 to the progress (the fewer side's messages, twice): the 10th reaches level 1.
  const replies = [];
  for (let i = 0; i < 10; i++) replies.push(await say(victim));
  expect(replies.map((reply) => reply.unlock_progress)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
  expect(replies.map((reply) => reply.unlocked)).toEqual([null, null, null, null, null, null, null, null, null, 1]);
  const after = await ok(
    apiClient(ctx, attacker)
      .api.mystery.chat({ match_id: matchId })
      .get({ query: { limit: 1 } }),
  );
  expect(after.partner).toEqual({ user_id: "Mystery User", unlock_level: 1, age: 29, city: "Porto" });
  const [match] = await ctx.query(sql`SELECT messages_a, messages_b FROM matches WHERE id = ${matchId}`);
  expect(match).toEqual({ messages_a: 150, messages_b: 10 });
});
