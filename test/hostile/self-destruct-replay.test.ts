// A client_msg_id stays taken after its secret message self-destructs: a retry answers the first reply and stores nothing.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { messages } from "../../src/db/schema";
import { sweep } from "../../src/modules/matches/sweeper";
import { createTestContext, type TestContext } from "../helpers/app";
import { apiClient, settled } from "../helpers/client";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

/** A match whose secret message "x" (sent with client_msg_id "retry-me") was due to self-destruct a minute ago. */
async function selfDestructedSend(first: number) {
  const [sender, partner] = [first, first + 1];
  await ctx.addUsers({ id: sender }, { id: partner });
  const now = new Date();
  const matchId = await ctx.addMatch(sender, partner, { messageCount: 7 });
  const [row] = await ctx.db
    .insert(messages)
    .values({
      matchId,
      senderId: sender,
      text: "meet me at the secret place",
      seq: 7,
      clientMsgId: "retry-me",
      isSecret: true,
      selfDestructAt: new Date(now.getTime() - 60_000),
      createdAt: new Date(now.getTime() - 6 * 60_000),
    })
    .returning({ id: messages.id });
  const retry = () =>
    settled(
      apiClient(ctx, sender).api.mystery["send-message"].post({
        match_id: matchId,
        message_text: "meet me at the secret place",
        client_msg_id: "retry-me",
      }),
    );
  const stored = () => ctx.query(sql`SELECT id, text, is_secret FROM messages WHERE match_id = ${matchId}`);
  return { matchId, messageId: row!.id, retry, stored };
}

const firstReply = (messageId: number) => ({
  status: 200,
  body: {
    success: true as const,
    message_id: messageId,
    message_count: 7,
    unlock_progress: 0,
    unlock_level: 0,
    unlocked: null,
  },
});

test("before the sweeper runs, a retry of a self-destructed message answers the first reply", async () => {
  const send = await selfDestructedSend(12_100_001);
  expect(await send.retry()).toEqual(firstReply(send.messageId));
  expect((await send.stored()).map((row) => row.id)).toEqual([send.messageId]);
});

test("after the sweeper deleted it, a retry still answers the first reply and the text is not stored again", async () => {
  const send = await selfDestructedSend(12_100_011);
  const swept = await sweep(ctx.db);
  expect(swept?.deletedMessages).toBeGreaterThanOrEqual(1);
  expect(await send.stored()).toEqual([]);

  expect(await send.retry()).toEqual(firstReply(send.messageId));
  expect(await send.retry()).toEqual(firstReply(send.messageId));
  expect(await send.stored()).toEqual([]);
  const [match] = await ctx.query(sql`SELECT message_count FROM matches WHERE id = ${send.matchId}`);
  expect(match.message_count).toBe(7);
});
