// Contact details unlock last (API.md): below CONTACT_UNLOCK_LEVEL a message with contact details is refused
// over REST and the socket, and nothing is stored; premium viewers do not change this.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { signToken } from "../../../src/modules/auth/jwt";
import { countRows, createTestContext, JWT_SECRET, type TestContext } from "../../helpers/app";
import { apiClient, ok, settled } from "../../helpers/client";
import { conversation } from "../../helpers/conversation";
import { SocketClient } from "../../helpers/socket";

let ctx: TestContext;
let base: { ws: string; http: string };
beforeAll(async () => {
  ctx = await createTestContext();
  base = ctx.listen();
});
afterAll(() => ctx.close());

let nextId = 14_500_000;
async function newMatch(overrides: Parameters<TestContext["addMatch"]>[2] = {}, on = ctx) {
  const a = nextId++;
  const b = nextId++;
  await on.addUsers({ id: a, age: 30, city: "Ghent" }, { id: b, age: 33, city: "Bruges" });
  return { a, b, matchId: await on.addMatch(a, b, overrides) };
}

const send = (as: number, matchId: number, text: string, on = ctx) =>
  settled(apiClient(on, as).api.mystery["send-message"].post({ match_id: matchId, message_text: text }));

/** The match's stored messages and its message_count, which a refused send must leave as they were. */
async function stored(matchId: number, on = ctx) {
  const [row] = await on.query(sql`SELECT message_count FROM matches WHERE id = ${matchId}`);
  return { messages: await countRows(on.db, `messages WHERE match_id = ${matchId}`), count: row.message_count };
}

const LOCKED = {
  status: 422,
  body: {
    success: false as const,
    error: "contact_details_locked",
    message: "Contact details unlock at level 4 — keep chatting!",
  },
};

// One of each kind the detector finds (test/modules/contact-details.test.ts has the whole table).
const CONTACTS = ["call me +7 916 123-45-67", "t.me/johnny", "@johnny_b", "john@gmail.com", "https://example.com"];

describe("contact details over REST", () => {
  test.each(CONTACTS)("%p is refused below level 4 and nothing is stored", async (text) => {
    // 149 messages: unlock_progress 148, level 3.
    const { a, matchId } = await newMatch(conversation(149));
    expect(await send(a, matchId, text)).toEqual(LOCKED);
    expect(await stored(matchId)).toEqual({ messages: 0, count: 149 });
  });

  test.each(CONTACTS)("%p is stored once the match is at level 4", async (text) => {
    const { a, matchId } = await newMatch(conversation(150));
    const reply = await send(a, matchId, text);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ success: true, unlock_level: 4 });
    const [row] = await ctx.query(sql`SELECT text FROM messages WHERE match_id = ${matchId}`);
    expect(row.text).toBe(text);
  });

  test("ordinary text with numbers and an @ is stored at level 0", async () => {
    const { a, matchId } = await newMatch();
    for (const text of ["see you at 7", "I have 2 cats", "10:30 @ the cafe?", "born 12.05.1990"]) {
      expect((await send(a, matchId, text)).status).toBe(200);
    }
    expect((await stored(matchId)).messages).toBe(4);
  });

  test("the message that would reach level 4 is still below it: refused", async () => {
    // user_a wrote 75, user_b 74: b's next message makes unlock_progress 150, but the match is at level 3.
    const { b, matchId } = await newMatch(conversation(149));
    expect(await send(b, matchId, "t.me/bob_here")).toEqual(LOCKED);
    expect((await send(b, matchId, "one more")).body).toMatchObject({ unlock_level: 4 });
    expect((await send(b, matchId, "t.me/bob_here")).status).toBe(200);
  });

  test("a premium sender sees level 4 at once, yet the match's level decides: refused", async () => {
    const { a, matchId } = await newMatch(conversation(20));
    await ctx.query(sql`UPDATE users SET premium_until = now() + interval '30 days' WHERE id = ${a}`);
    expect((await send(a, matchId, "hello")).body).toMatchObject({ unlock_level: 4 });
    expect(await send(a, matchId, "my number is 89161234567")).toEqual(LOCKED);
    expect(await stored(matchId)).toEqual({ messages: 1, count: 21 });
  });

  test("a stranger, a banned sender and an ended match get their own errors, not the contact rule", async () => {
    const { a, matchId } = await newMatch();
    const stranger = nextId++;
    await ctx.addUsers({ id: stranger });
    expect((await send(stranger, matchId, "t.me/johnny")).body).toMatchObject({ error: "match_not_found" });

    const banned = await newMatch();
    await ctx.query(sql`UPDATE users SET ban_until = now() + interval '1 day' WHERE id = ${banned.a}`);
    expect((await send(banned.a, banned.matchId, "t.me/johnny")).body).toMatchObject({ error: "banned" });

    await ok(apiClient(ctx, a).api.mystery.unmatch.post({ match_id: matchId }));
    expect((await send(a, matchId, "t.me/johnny")).body).toMatchObject({ error: "match_ended" });
  });
});

describe("contact details over the socket", () => {
  const connect = (matchId: number, userId: number) =>
    SocketClient.open(
      `${base.ws}/api/mystery/ws/chat/${matchId}/${userId}?token=${signToken(JWT_SECRET, userId, 3600)}`,
    );

  test("below level 4: an error event with the frame's client_msg_id, nothing stored, nothing delivered", async () => {
    const { a, b, matchId } = await newMatch(conversation(100));
    const alice = await connect(matchId, a);
    const bob = await connect(matchId, b);
    await Promise.all([alice.next("connected"), bob.next("connected")]);
    alice.send({ type: "message", text: "write me at t.me/alice_x", client_msg_id: "c-1" });
    expect(await alice.next("error")).toEqual({
      type: "error",
      error: "contact_details_locked",
      message: "Contact details unlock at level 4 — keep chatting!",
      client_msg_id: "c-1",
    });
    expect(await stored(matchId)).toEqual({ messages: 0, count: 100 });
    // The socket stays open, and the refused client_msg_id was not spent.
    alice.send({ type: "message", text: "never mind", client_msg_id: "c-1" });
    expect(await alice.next("ack")).toMatchObject({ client_msg_id: "c-1", message_count: 101 });
    expect((await bob.next("message")).message.message).toBe("never mind");
    expect(bob.count("message")).toBe(1);
    await Promise.all([alice.close(), bob.close()]);
  });

  test("at level 4 the message is acked and delivered", async () => {
    const { a, b, matchId } = await newMatch(conversation(150));
    const alice = await connect(matchId, a);
    const bob = await connect(matchId, b);
    await Promise.all([alice.next("connected"), bob.next("connected")]);
    alice.send({ type: "message", text: "+7 916 123-45-67", client_msg_id: "c-2" });
    expect(await alice.next("ack")).toMatchObject({ client_msg_id: "c-2", unlock_level: 4 });
    expect((await bob.next("message")).message.message).toBe("+7 916 123-45-67");
    await Promise.all([alice.close(), bob.close()]);
  });
});

describe("CONTACT_UNLOCK_LEVEL", () => {
  test("the level is configurable, and the refusal names it", async () => {
    const two = await createTestContext({ CONTACT_UNLOCK_LEVEL: "2" });
    try {
      const low = await newMatch(conversation(59), two);
      expect(await send(low.a, low.matchId, "t.me/johnny", two)).toEqual({
        status: 422,
        body: { ...LOCKED.body, message: "Contact details unlock at level 2 — keep chatting!" },
      });
      const high = await newMatch(conversation(60), two);
      expect((await send(high.a, high.matchId, "t.me/johnny", two)).status).toBe(200);
    } finally {
      await two.close();
    }
  });

  test("0 allows contact details from the first message", async () => {
    const zero = await createTestContext({ CONTACT_UNLOCK_LEVEL: "0" });
    try {
      const { a, matchId } = await newMatch({}, zero);
      expect((await send(a, matchId, "t.me/johnny", zero)).status).toBe(200);
    } finally {
      await zero.close();
    }
  });
});
