import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import type { ServerEvent } from "../../../src/kernel/events";
import { signToken } from "../../../src/modules/auth/jwt";
import { participantTopic, userTopic } from "../../../src/realtime/topics";
import { createTestContext, JWT_SECRET, type TestContext } from "../../helpers/app";
import { apiClient, ok, settled } from "../../helpers/client";
import { SocketClient, upgradeStatus } from "../../helpers/socket";

let ctx: TestContext;
let base: { ws: string; http: string };
beforeAll(async () => {
  ctx = await createTestContext();
  base = ctx.listen();
});
afterAll(() => ctx.close());

// REST calls go through the typed client.
const api = (as?: number) => apiClient(ctx, as);
const send = (as: number, matchId: number, text: string) =>
  ok(api(as).api.mystery["send-message"].post({ match_id: matchId, message_text: text }));
const onlineStatus = (as: number, matchId: number) =>
  ok(api(as).api.mystery.chat["online-status"]({ match_id: matchId })({ user_id: as }).get());
const unreadOf = async (as: number) =>
  (await ok(api(as).api.mystery["my-matches"]({ user_id: as }).get())).matches[0]!.unread_count;

let nextId = 12_000_000;
async function newMatch(overrides: Parameters<TestContext["addMatch"]>[2] = {}) {
  const a = nextId++;
  const b = nextId++;
  await ctx.addUsers({ id: a, age: 30, city: "Ghent" }, { id: b, age: 33, city: "Bruges" });
  return { a, b, matchId: await ctx.addMatch(a, b, overrides) };
}

const socketPath = (matchId: number, userId: number, query = "") =>
  `/api/mystery/ws/chat/${matchId}/${userId}?token=${signToken(JWT_SECRET, userId, 3600)}${query}`;
const connect = (matchId: number, userId: number, query = "") =>
  SocketClient.open(`${base.ws}${socketPath(matchId, userId, query)}`);

describe("chat socket", () => {
  test("connected, then presence: the partner sees user_online, then user_offline with last_seen", async () => {
    const { a, b, matchId } = await newMatch({ messageCount: 3, messagesA: 2, messagesB: 1 });
    const alice = await connect(matchId, a);
    expect(await alice.next("connected")).toEqual({
      type: "connected",
      match_id: matchId,
      partner_online: false,
      unlock_level: 0,
      unlock_progress: 2,
      message_count: 3,
      partner_read_up_to: null,
    });
    const bob = await connect(matchId, b);
    expect((await bob.next("connected")).partner_online).toBe(true);
    expect(await alice.next("user_online")).toEqual({ type: "user_online" });

    expect(await onlineStatus(a, matchId)).toEqual({ success: true, is_online: true, last_seen: null });

    await bob.close();
    const offline = await alice.next("user_offline");
    expect(Date.parse(offline.last_seen)).toBeGreaterThan(Date.now() - 10_000);
    expect(await onlineStatus(a, matchId)).toEqual({ success: true, is_online: false, last_seen: offline.last_seen });
    await alice.close();
  });

  test("a message over the socket is acked after the commit and reaches both sides with their own is_me", async () => {
    const { a, b, matchId } = await newMatch();
    const alice = await connect(matchId, a);
    const bob = await connect(matchId, b);
    alice.send({ type: "message", text: "hello bob", client_msg_id: "x1" });
    const ack = await alice.next("ack");
    expect(ack).toEqual({
      type: "ack",
      client_msg_id: "x1",
      message_id: expect.any(Number),
      message_count: 1,
      unlock_progress: 0,
      unlock_level: 0,
    });
    const [row] = await ctx.query(sql`SELECT text FROM messages WHERE id = ${ack.message_id}`);
    expect(row.text).toBe("hello bob");
    const received = await bob.next("message");
    expect(received).toEqual({
      type: "message",
      message: {
        id: ack.message_id,
        is_me: false,
        message: "hello bob",
        timestamp: expect.any(String),
        is_secret: false,
        self_destruct_at: null,
      },
    });
    expect((await alice.next("message")).message.is_me).toBe(true);
    expect(JSON.stringify(bob.events)).not.toContain(String(a));
    await Promise.all([alice.close(), bob.close()]);
  });

  test("a message sent over REST reaches the sockets too", async () => {
    const { a, b, matchId } = await newMatch();
    const bob = await connect(matchId, b);
    await bob.next("connected");
    const sent = await send(a, matchId, "via rest");
    const event = await bob.next("message");
    expect(event.message).toMatchObject({ id: sent.message_id, is_me: false, message: "via rest" });
    await bob.close();
  });

  test("crossing a threshold sends each side an unlock with the other's newly revealed profile", async () => {
    // Alice (user_a) wrote 9, Bob 10: her next message makes it 10 each, unlock_progress 20.
    const { a, b, matchId } = await newMatch({ messageCount: 19, messagesA: 9, messagesB: 10 });
    const alice = await connect(matchId, a);
    const bob = await connect(matchId, b);
    alice.send({ type: "message", text: "twenty" });
    expect(await alice.next("unlock")).toEqual({
      type: "unlock",
      level: 1,
      next_unlock_at: 60,
      partner: { user_id: "Mystery User", unlock_level: 1, age: 33, city: "Bruges" },
    });
    expect((await bob.next("unlock")).partner).toEqual({
      user_id: "Mystery User",
      unlock_level: 1,
      age: 30,
      city: "Ghent",
    });
    await Promise.all([alice.close(), bob.close()]);
  });

  test("typing is relayed to the partner only; read stores the marker and tells the partner", async () => {
    const { a, b, matchId } = await newMatch();
    const alice = await connect(matchId, a);
    const bob = await connect(matchId, b);
    alice.send({ type: "typing", is_typing: true });
    expect(await bob.next("typing")).toEqual({ type: "typing", is_typing: true });
    expect(alice.count("typing")).toBe(0);

    alice.send({ type: "message", text: "one" });
    const { message_id } = await alice.next("ack");
    expect(await unreadOf(b)).toBe(1);
    bob.send({ type: "read", up_to_id: message_id + 1000 });
    // The marker never passes the match's last message.
    expect(await alice.next("read")).toEqual({ type: "read", up_to_id: message_id });
    expect(await unreadOf(b)).toBe(0);
    await Promise.all([alice.close(), bob.close()]);
  });

  test("a reconnecting client gets every message after `since` and loses nothing", async () => {
    const { a, b, matchId } = await newMatch();
    const bob = await connect(matchId, b);
    bob.send({ type: "message", text: "before" });
    const { message_id: seen } = await bob.next("ack");
    await bob.close();
    const ids: number[] = [];
    for (const text of ["while", "you", "were", "away"]) ids.push((await send(a, matchId, text)).message_id);
    const back = await connect(matchId, b, `&since=${seen}`);
    const history = await back.next("history");
    expect(history.has_more).toBe(false);
    expect(history.messages.map((m: { id: number; message: string }) => [m.id, m.message])).toEqual([
      [ids[0], "while"],
      [ids[1], "you"],
      [ids[2], "were"],
      [ids[3], "away"],
    ]);
    await back.close();
  });

  test("bad frames get an error event and the socket stays open", async () => {
    const { a, matchId } = await newMatch();
    const alice = await connect(matchId, a);
    alice.send("not json {");
    expect((await alice.next("error")).error).toBe("invalid_frame");
    alice.send({ type: "dance" });
    expect(await alice.next("error")).toMatchObject({ error: "invalid_frame", message: "Unknown frame type: dance" });
    alice.send({ type: "message", text: 42 });
    expect((await alice.next("error")).error).toBe("invalid_frame");
    alice.send({ type: "message", text: "   ", client_msg_id: "w" });
    expect(await alice.next("error")).toMatchObject({ error: "validation_failed", client_msg_id: "w" });
    alice.send({ type: "ping" });
    expect(await alice.next("pong")).toEqual({ type: "pong" });
    expect((await ok(api(a).api.mystery.chat({ match_id: matchId }).get())).messages).toEqual([]);
    await alice.close();
  });

  test("a client that keeps flooding is closed with 1008", async () => {
    const { a, matchId } = await newMatch();
    const alice = await connect(matchId, a);
    await alice.next("connected");
    for (let i = 0; i < 200; i++) alice.send({ type: "ping" });
    expect((await alice.closed).code).toBe(1008);
    expect(alice.count("error")).toBeGreaterThan(0);
  });

  test("unmatch sends match_ended to both sockets, then closes them with 4410", async () => {
    const { a, b, matchId } = await newMatch();
    const alice = await connect(matchId, a);
    const bob = await connect(matchId, b);
    await Promise.all([alice.next("connected"), bob.next("connected")]);
    await ok(api(a).api.mystery.unmatch.post({ match_id: matchId }));
    expect(await bob.next("match_ended")).toEqual({ type: "match_ended", match_id: matchId, reason: "unmatched" });
    expect((await bob.closed).code).toBe(4410);
    expect((await alice.closed).code).toBe(4410);
    expect([alice.count("match_ended"), bob.count("match_ended")]).toEqual([1, 1]);
  });

  test("match_ended reaches both users' sockets of other matches, which stay open; a third user hears nothing", async () => {
    const { a, b, matchId } = await newMatch();
    const c = nextId++;
    const d = nextId++;
    await ctx.addUsers({ id: c }, { id: d });
    const [aliceCarol, bobDave, carolDave] = [
      await ctx.addMatch(a, c),
      await ctx.addMatch(b, d),
      await ctx.addMatch(c, d),
    ];
    const aliceElsewhere = await connect(aliceCarol, a);
    const bobElsewhere = await connect(bobDave, b);
    const carol = await connect(carolDave, c);
    await Promise.all([aliceElsewhere.next("connected"), bobElsewhere.next("connected"), carol.next("connected")]);
    await ok(api(b).api.mystery.block.post({ match_id: matchId }));
    const ended = { type: "match_ended", match_id: matchId, reason: "blocked" };
    expect(await aliceElsewhere.next("match_ended")).toEqual(ended);
    expect(await bobElsewhere.next("match_ended")).toEqual(ended);
    // Still open: a ping is answered.
    for (const socket of [aliceElsewhere, bobElsewhere, carol]) {
      socket.send({ type: "ping" });
      await socket.next("pong");
      expect(socket.ws.readyState).toBe(WebSocket.OPEN);
    }
    expect(carol.count("match_ended")).toBe(0);
    await Promise.all([aliceElsewhere.close(), bobElsewhere.close(), carol.close()]);
  });

  test("connected carries partner_read_up_to: what the partner has read, so Read survives a reconnect", async () => {
    const { a, b, matchId } = await newMatch();
    const first = await send(a, matchId, "one");
    await send(a, matchId, "two");
    const alice = await connect(matchId, a);
    expect((await alice.next("connected")).partner_read_up_to).toBeNull();
    const bob = await connect(matchId, b);
    await bob.next("connected");
    bob.send({ type: "read", up_to_id: first.message_id });
    expect((await alice.next("read")).up_to_id).toBe(first.message_id);
    await alice.close();
    const again = await connect(matchId, a);
    expect((await again.next("connected")).partner_read_up_to).toBe(first.message_id);
    // Bob's own marker is not Bob's partner's: his connected says Alice read nothing.
    const bob2 = await connect(matchId, b);
    expect((await bob2.next("connected")).partner_read_up_to).toBeNull();
    await Promise.all([again.close(), bob.close(), bob2.close()]);
  });

  test("extend, secret chat and new_match events", async () => {
    const { a, b, matchId } = await newMatch();
    await ctx.db.execute(sql`UPDATE users SET coins = 100 WHERE id = ${a}`);
    const alice = await connect(matchId, a);
    const bob = await connect(matchId, b);
    await Promise.all([alice.next("connected"), bob.next("connected")]);

    const extended = await ok(api(a).api.mystery["extend-match"].post({ match_id: matchId }));
    expect(await bob.next("match_extended")).toEqual({ type: "match_extended", expires_at: extended.new_expiry });

    const requested = await ok(
      api(a).api.mystery["request-secret-chat"].post({ match_id: matchId, duration_minutes: 5 }),
    );
    expect(await bob.next("secret_chat_requested")).toEqual({
      type: "secret_chat_requested",
      request_id: requested.request_id,
      duration_minutes: 5,
    });
    expect(alice.count("secret_chat_requested")).toBe(0);
    const accepted = await ok(api(b).api.mystery["accept-secret-chat"]({ match_id: matchId }).post());
    for (const client of [alice, bob]) {
      expect(await client.next("secret_chat_started")).toEqual({
        type: "secret_chat_started",
        self_destruct_at: accepted.self_destruct_at,
      });
    }

    // A new match reaches the user-wide topic of both users.
    const stranger = nextId++;
    await ctx.addUsers({ id: stranger });
    await ctx.db.execute(
      sql`UPDATE users SET ban_until = now() + interval '1 day' WHERE id NOT IN (${a}, ${stranger})`,
    );
    const call = api(stranger).api.mystery["find-match"].post({});
    expect((await settled(call)).status).toBe(200);
    expect(await alice.next("new_match")).toEqual({ type: "new_match", match_id: (await ok(call)).match_id });
    await ctx.db.execute(sql`UPDATE users SET ban_until = NULL WHERE id <> ${stranger}`);
    await Promise.all([alice.close(), bob.close()]);
  });

  test("events published while the upgrade's checks run reach the socket once it opens, none lost", async () => {
    const { b, matchId } = await newMatch();
    const { local, bus } = ctx.realtime;
    const openGap = local.openGap;
    const extended: ServerEvent = { type: "match_extended", expires_at: new Date(Date.now() + 3600_000).toISOString() };
    const ended: ServerEvent = { type: "match_ended", match_id: matchId + 1, reason: "unmatched" };
    const newMatchEvent: ServerEvent = { type: "new_match", match_id: matchId + 2 };
    // The moment is picked by wrapping the real gap: these are published as a commit elsewhere would,
    // after the checks began and before the socket exists.
    local.openGap = (topics) => {
      const gap = openGap.call(local, topics);
      bus.publish(participantTopic(matchId, b), extended);
      bus.publish(userTopic(b), ended);
      bus.publish(userTopic(b), newMatchEvent);
      return gap;
    };
    try {
      const bob = await connect(matchId, b);
      expect(await bob.next("match_extended")).toEqual(extended);
      // A match_ended on the user topic (another match of theirs) informs and does not close.
      expect(await bob.next("match_ended")).toEqual(ended);
      expect(await bob.next("new_match")).toEqual(newMatchEvent);
      expect((await bob.next("connected")).match_id).toBe(matchId);
      expect(bob.ws.readyState).toBe(WebSocket.OPEN);
      await bob.close();
    } finally {
      local.openGap = openGap;
    }
  });

  test("a declined secret chat tells the requester", async () => {
    const { a, b, matchId } = await newMatch();
    const alice = await connect(matchId, a);
    await alice.next("connected");
    await ok(api(a).api.mystery["request-secret-chat"].post({ match_id: matchId, duration_minutes: 5 }));
    await ok(api(b).api.mystery["decline-secret-chat"]({ match_id: matchId }).post());
    expect(await alice.next("secret_chat_declined")).toEqual({ type: "secret_chat_declined" });
    await alice.close();
  });
});

describe("upgrade refusals, before any subscription", () => {
  test("401 without or with a bad token", async () => {
    const { a, matchId } = await newMatch();
    expect((await upgradeStatus(`${base.http}/api/mystery/ws/chat/${matchId}/${a}`)).status).toBe(401);
    expect((await upgradeStatus(`${base.http}/api/mystery/ws/chat/${matchId}/${a}?token=abc.def.ghi`)).status).toBe(
      401,
    );
  });

  test("403 for another user's id in the path, and for a banned user", async () => {
    const { a, b, matchId } = await newMatch();
    const wrong = `${base.http}/api/mystery/ws/chat/${matchId}/${b}?token=${signToken(JWT_SECRET, a, 60)}`;
    expect((await upgradeStatus(wrong)).status).toBe(403);
    await ctx.db.execute(sql`UPDATE users SET ban_until = now() + interval '1 hour' WHERE id = ${a}`);
    const banned = await upgradeStatus(`${base.http}${socketPath(matchId, a)}`);
    expect([banned.status, banned.body.error]).toEqual([403, "banned"]);
  });

  test("404 for a stranger and for a missing match, alike", async () => {
    const { matchId } = await newMatch();
    const stranger = nextId++;
    await ctx.addUsers({ id: stranger });
    const notMine = await upgradeStatus(`${base.http}${socketPath(matchId, stranger)}`);
    const missing = await upgradeStatus(`${base.http}${socketPath(99_999_999, stranger)}`);
    expect(notMine.status).toBe(404);
    expect(missing.body).toEqual(notMine.body);
  });

  test("410 for an ended or expired match", async () => {
    const ended = await newMatch({ isActive: false, endReason: "unmatched" });
    const expired = await newMatch({ expiresAt: new Date(Date.now() - 1000) });
    expect((await upgradeStatus(`${base.http}${socketPath(ended.matchId, ended.a)}`)).body.error).toBe("match_ended");
    expect((await upgradeStatus(`${base.http}${socketPath(expired.matchId, expired.a)}`)).body.error).toBe(
      "match_expired",
    );
  });
});
