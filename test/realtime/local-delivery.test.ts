// LocalDelivery on a real Bun WebSocket server with real clients: topics, typing, match_ended and closeAll.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import type { Server, ServerWebSocket } from "bun";
import type { ServerEvent } from "../../src/kernel/events";
import { LocalDelivery } from "../../src/realtime/bus";
import { type Closed, SocketClient, upgradingServer } from "../helpers/socket";

type Socket = ServerWebSocket<unknown>;

interface Connection {
  /** The server's end, the one LocalDelivery holds. */
  ws: Socket;
  /** Resolves once the server has seen the socket close. */
  closedOnServer: Promise<Closed>;
}

// Connections in the order the server opened them, and their close on the server side.
const pendingOpen: Array<(ws: Socket) => void> = [];
const serverClose = new Map<Socket, PromiseWithResolvers<Closed>>();
let server: Server<unknown>;

beforeAll(() => {
  server = upgradingServer({
    open(ws) {
      serverClose.set(ws, Promise.withResolvers<Closed>());
      pendingOpen.shift()!(ws);
    },
    message() {},
    close(ws, code, reason) {
      serverClose.get(ws)!.resolve({ code, reason });
    },
  });
});
afterAll(() => server.stop(true));

// Every socket a test opened is closed after it, so that no test sees another's sockets.
const opened: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((client) => client.close()));
});

/** A client connected to the server, and the server's end of it once open there. */
async function connect(): Promise<{ client: SocketClient } & Connection> {
  // Connections are opened one at a time, so the next open on the server is this one.
  const serverSide = new Promise<Socket>((resolve) => pendingOpen.push(resolve));
  const client = await SocketClient.open(`ws://127.0.0.1:${server.port}/`);
  opened.push(client);
  const ws = await serverSide;
  return { client, ws, closedOnServer: serverClose.get(ws)!.promise };
}

/** A LocalDelivery attached to the server, as serve attaches the app's. */
function attached(): LocalDelivery {
  const local = new LocalDelivery();
  local.attach(server);
  return local;
}

let topicSeq = 0;
/** A topic no other test uses (Bun's topics belong to the whole server). */
const topic = (name: string) => `${name}:${++topicSeq}`;

const read = (upTo: number): ServerEvent => ({ type: "read", up_to_id: upTo });
const typing = (isTyping: boolean): ServerEvent => ({ type: "typing", is_typing: isTyping });

/**
 * Delivers a last event of its own to topic `t` and waits for the clients on it to receive it.
 * Events on one socket arrive in order, so what a client has not received by then, it was never sent.
 */
async function settle(local: LocalDelivery, t: string, ...clients: SocketClient[]): Promise<void> {
  local.deliver(t, { type: "pong" });
  await Promise.all(clients.map((client) => client.next("pong")));
}

describe("topics", () => {
  test("an event reaches the socket subscribed to its topic, and no socket on another topic", async () => {
    const local = attached();
    const [alice, bob] = [await connect(), await connect()];
    const [forAlice, forBob] = [topic("m:1:1"), topic("m:1:2")];
    local.subscribe(alice.ws, [forAlice]);
    local.subscribe(bob.ws, [forBob]);

    local.deliver(forAlice, read(7));
    expect(await alice.client.next("read")).toEqual(read(7));
    await settle(local, forBob, bob.client);
    await settle(local, forAlice, alice.client);
    expect(alice.client.events).toEqual([read(7), { type: "pong" }]);
    expect(bob.client.events).toEqual([{ type: "pong" }]);
  });

  test("a socket receives on every topic it subscribed to", async () => {
    const local = attached();
    const alice = await connect();
    const [match, user] = [topic("m:2:1"), topic("u:1")];
    local.subscribe(alice.ws, [match, user]);
    local.deliver(match, read(1));
    local.deliver(user, { type: "new_match", match_id: 9 });
    await settle(local, match, alice.client);
    expect(alice.client.events).toEqual([read(1), { type: "new_match", match_id: 9 }, { type: "pong" }]);
  });

  test("two sockets on one topic both receive; once one left, the other still does", async () => {
    const local = attached();
    const [first, second, third] = [await connect(), await connect(), await connect()];
    const shared = topic("m:3:1");
    local.subscribe(first.ws, [shared]);
    local.subscribe(second.ws, [shared]);

    local.deliver(shared, read(1));
    expect([await first.client.next("read"), await second.client.next("read")]).toEqual([read(1), read(1)]);

    // As the chat socket does: unsubscribed in the server's close handler.
    await second.client.close();
    await second.closedOnServer;
    local.unsubscribe(second.ws, [shared]);
    local.deliver(shared, read(2));
    expect(await first.client.next("read")).toEqual(read(2));

    // Back to two sockets on the topic.
    local.subscribe(third.ws, [shared]);
    local.deliver(shared, read(3));
    expect([await first.client.next("read"), await third.client.next("read")]).toEqual([read(3), read(3)]);
    expect(first.client.events).toEqual([read(1), read(2), read(3)]);
    expect(second.client.events).toEqual([read(1)]);
    expect(third.client.events).toEqual([read(3)]);
  });

  test("a socket unsubscribed from its only topic receives nothing more on it", async () => {
    const local = attached();
    const [alice, bob] = [await connect(), await connect()];
    const [gone, kept] = [topic("m:4:1"), topic("m:4:2")];
    local.subscribe(alice.ws, [gone]);
    local.subscribe(bob.ws, [kept]);
    local.deliver(gone, read(1));
    await alice.client.next("read");

    local.unsubscribe(alice.ws, [gone]);
    local.deliver(gone, read(2));
    local.deliver(gone, typing(true));
    // alice is still open and subscribed to nothing LocalDelivery knows: re-subscribe her elsewhere
    // to have a last event that proves the two above never came.
    local.subscribe(alice.ws, [kept]);
    await settle(local, kept, alice.client);
    expect(alice.client.events).toEqual([read(1), { type: "pong" }]);
  });

  test("an event on a topic no socket holds is dropped quietly, and so is anything before attach", async () => {
    const local = new LocalDelivery();
    const alice = await connect();
    const own = topic("m:5:1");
    local.subscribe(alice.ws, [own]);
    local.deliver(own, read(1));
    local.deliver(own, typing(true));
    local.deliver(topic("nobody"), read(2));

    local.attach(server);
    local.deliver(topic("nobody"), read(3));
    await settle(local, own, alice.client);
    expect(alice.client.events).toEqual([{ type: "pong" }]);
  });

  test("socketCount counts subscribed sockets, not topics", async () => {
    const local = attached();
    expect(local.socketCount).toBe(0);
    const [alice, bob] = [await connect(), await connect()];
    const [match, aliceTopic, bobTopic] = [topic("m:6"), topic("u:a"), topic("u:b")];
    local.subscribe(alice.ws, [match, aliceTopic]);
    expect(local.socketCount).toBe(1);
    local.subscribe(bob.ws, [match, bobTopic]);
    expect(local.socketCount).toBe(2);
    local.unsubscribe(alice.ws, [match, aliceTopic]);
    expect(local.socketCount).toBe(1);
    local.unsubscribe(bob.ws, [match, bobTopic]);
    expect(local.socketCount).toBe(0);
  });
});

describe("typing", () => {
  test("typing reaches every socket on the topic, once each", async () => {
    const local = attached();
    const [first, second, other] = [await connect(), await connect(), await connect()];
    const [shared, elsewhere] = [topic("m:7:1"), topic("m:7:2")];
    local.subscribe(first.ws, [shared]);
    local.subscribe(second.ws, [shared]);
    local.subscribe(other.ws, [elsewhere]);
    local.deliver(shared, typing(true));
    local.deliver(shared, typing(false));
    await settle(local, shared, first.client, second.client);
    await settle(local, elsewhere, other.client);
    const expected = [typing(true), typing(false), { type: "pong" }];
    expect([first.client.events, second.client.events]).toEqual([expected, expected]);
    expect(other.client.events).toEqual([{ type: "pong" }]);
  });

  test("typing is skipped for a socket with much unsent data, never a chat event", async () => {
    const local = attached();
    const fast = await connect();
    const slow = await rawConnect();
    const shared = topic("m:8:1");
    local.subscribe(fast.ws, [shared]);
    local.subscribe(slow.ws, [shared]);

    // Within one synchronous stretch the slow client cannot read: the kernel's buffers fill, and
    // the rest waits in the server's own buffer.
    const filler = "x".repeat(64 * 1024);
    let fillers = 0;
    while (slow.ws.getBufferedAmount() < 64 * 1024) {
      slow.ws.send(filler);
      fillers++;
      if (fillers > 1000) throw new Error("the server never buffered: the kernel took 64 MiB");
    }
    local.deliver(shared, typing(true));
    local.deliver(shared, read(5));

    const frames = await slow.framesUntil(JSON.stringify(read(5)));
    const expected = [...Array.from({ length: fillers }, () => "filler"), JSON.stringify(read(5))];
    expect(frames.map((frame) => (frame === filler ? "filler" : frame))).toEqual(expected);
    expect(await fast.client.next("read")).toEqual(read(5));
    expect(fast.client.events).toEqual([typing(true), read(5)]);
  });
});

describe("closing", () => {
  test("match_ended is delivered, then every socket on the topic is closed with 4410", async () => {
    const local = attached();
    const [first, second, other] = [await connect(), await connect(), await connect()];
    const [ended, elsewhere] = [topic("m:9:1"), topic("m:9:2")];
    local.subscribe(first.ws, [ended]);
    local.subscribe(second.ws, [ended]);
    local.subscribe(other.ws, [elsewhere]);
    const event: ServerEvent = { type: "match_ended", match_id: 9, reason: "blocked" };
    local.deliver(ended, event);
    const closed = { code: 4410, reason: "match ended: blocked" };
    expect(await Promise.all([first.client.closed, second.client.closed])).toEqual([closed, closed]);
    expect([first.client.events, second.client.events]).toEqual([[event], [event]]);
    // A socket on another topic is untouched.
    await settle(local, elsewhere, other.client);
    expect(other.client.events).toEqual([{ type: "pong" }]);
    expect(other.client.ws.readyState).toBe(WebSocket.OPEN);
  });

  test("match_ended on a user topic informs its sockets and closes none of them", async () => {
    const local = attached();
    const mine = await connect();
    const user = `u:${++topicSeq}`;
    local.subscribe(mine.ws, [user]);
    const event: ServerEvent = { type: "match_ended", match_id: 9, reason: "unmatched" };
    local.deliver(user, event);
    expect(await mine.client.next("match_ended")).toEqual(event);
    await settle(local, user, mine.client);
    expect(mine.client.ws.readyState).toBe(WebSocket.OPEN);
  });

  test("closeAll closes every socket on every topic with the code and reason given", async () => {
    const local = attached();
    const [alice, bob, carol] = [await connect(), await connect(), await connect()];
    const [match, aliceTopic, bobTopic, lonely] = [topic("m:10"), topic("u:a"), topic("u:b"), topic("m:11")];
    local.subscribe(alice.ws, [match, aliceTopic]);
    local.subscribe(bob.ws, [match, bobTopic]);
    local.subscribe(carol.ws, [lonely]);
    local.closeAll(1001, "server shutting down");
    const closed = { code: 1001, reason: "server shutting down" };
    expect(await Promise.all([alice.client.closed, bob.client.closed, carol.client.closed])).toEqual([
      closed,
      closed,
      closed,
    ]);
    expect(await Promise.all([alice.closedOnServer, bob.closedOnServer, carol.closedOnServer])).toEqual([
      closed,
      closed,
      closed,
    ]);
  });

  test("catchUp closes every socket of the users named with 1012, and one still opening once it subscribes", async () => {
    const local = attached();
    const [aliceId, bobId, carolId] = [++topicSeq, ++topicSeq, ++topicSeq];
    const [alice, aliceAgain, bob, carol] = [await connect(), await connect(), await connect(), await connect()];
    local.subscribe(alice.ws, [`m:15:${aliceId}`, `u:${aliceId}`]);
    local.subscribe(aliceAgain.ws, [`m:16:${aliceId}`, `u:${aliceId}`]);
    local.subscribe(bob.ws, [`m:15:${bobId}`, `u:${bobId}`]);
    local.subscribe(carol.ws, [`m:17:${carolId}`, `u:${carolId}`]);
    // Carol's second socket is past its claim and still being checked.
    const opening = local.openGap([`m:18:${carolId}`, `u:${carolId}`]);
    expect(local.users().toSorted()).toEqual([aliceId, bobId, carolId]);

    expect(local.catchUp([aliceId, carolId, 999_999])).toBe(3);
    const closed = { code: 1012, reason: "events may have been missed: reconnect with since" };
    expect(await Promise.all([alice.client.closed, aliceAgain.client.closed, carol.client.closed])).toEqual([
      closed,
      closed,
      closed,
    ]);
    const carolLate = await connect();
    local.subscribe(carolLate.ws, opening.topics.slice(), opening);
    expect(await carolLate.client.closed).toEqual(closed);
    // Bob was not named: his socket stays, and so does a gap opened after the catch-up.
    await settle(local, `m:15:${bobId}`, bob.client);
    expect(bob.client.ws.readyState).toBe(WebSocket.OPEN);
    const after = local.openGap([`m:19:${carolId}`, `u:${carolId}`]);
    const carolAfter = await connect();
    local.subscribe(carolAfter.ws, after.topics.slice(), after);
    await settle(local, `u:${carolId}`, carolAfter.client);
    expect(carolAfter.client.ws.readyState).toBe(WebSocket.OPEN);
  });

  test("closeAll with no sockets does nothing", () => {
    attached().closeAll(1001, "server shutting down");
  });

  test("a closing event delivered after a socket's checks began and before it subscribed reaches it and closes it", async () => {
    const local = attached();
    const [ended, banned, user] = [topic("m:12:1"), topic("m:13:1"), `u:${++topicSeq}`];
    const matchEnded: ServerEvent = { type: "match_ended", match_id: 12, reason: "unmatched" };
    const endedGap = local.openGap([ended, topic("u:x")]);
    const bannedGap = local.openGap([banned, user]);
    // Published while the upgrades' checks ran: no socket held the topics yet.
    local.deliver(ended, matchEnded);
    local.deliver(user, { type: "error", error: "banned", message: "Your account is suspended" });
    const late = await connect();
    local.subscribe(late.ws, endedGap.topics.slice(), endedGap);
    expect(await late.client.closed).toEqual({ code: 4410, reason: "match ended: unmatched" });
    expect(late.client.events).toEqual([matchEnded]);
    const bannedLate = await connect();
    local.subscribe(bannedLate.ws, [banned, user], bannedGap);
    expect((await bannedLate.client.closed).code).toBe(4403);
  });

  test("an event from before a socket's checks began is not its own (the checks saw it)", async () => {
    const local = attached();
    const ended = topic("m:14:1");
    local.deliver(ended, { type: "match_ended", match_id: 14, reason: "expired" });
    const gap = local.openGap([ended]);
    const mine = await connect();
    local.subscribe(mine.ws, [ended], gap);
    await settle(local, ended, mine.client);
    expect(mine.client.events).toEqual([{ type: "pong" }]);
    expect(mine.client.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe("the gap between a socket's checks and its subscription", () => {
  test("every event of its topics in the gap reaches it, in order, before what follows; typing does not", async () => {
    const local = attached();
    const [match, user] = [topic("m:20:1"), `u:${++topicSeq}`];
    const gap = local.openGap([match, user]);
    const unlock: ServerEvent = {
      type: "unlock",
      level: 1,
      next_unlock_at: 60,
      partner: { user_id: "Mystery User", unlock_level: 1, age: 30 },
    };
    const newMatch: ServerEvent = { type: "new_match", match_id: 21 };
    local.deliver(match, read(7));
    local.deliver(match, typing(true));
    local.deliver(match, unlock);
    local.deliver(user, newMatch);
    // Someone else's topic is not this socket's.
    local.deliver(topic("m:20:2"), read(9));
    const socket = await connect();
    local.subscribe(socket.ws, [match, user], gap);
    local.deliver(match, read(8));
    await settle(local, match, socket.client);
    expect(socket.client.events).toEqual([read(7), unlock, newMatch, read(8), { type: "pong" }]);
  });

  test("two sockets opening on one topic each get the gap's events; a gap closed without a socket keeps nothing", async () => {
    const local = attached();
    const match = topic("m:22:1");
    const [first, second, abandoned] = [local.openGap([match]), local.openGap([match]), local.openGap([match])];
    local.deliver(match, read(1));
    expect(abandoned.close().kept).toEqual([{ topic: match, event: read(1) }]);
    local.deliver(match, read(2));
    expect(abandoned.close().kept).toEqual([]);
    const [a, b] = [await connect(), await connect()];
    local.subscribe(a.ws, [match], first);
    local.subscribe(b.ws, [match], second);
    await settle(local, match, a.client, b.client);
    expect(a.client.events).toEqual([read(1), read(2), { type: "pong" }]);
    expect(b.client.events).toEqual([read(1), read(2), { type: "pong" }]);
    // Closed gaps are forgotten: an event now is kept by none of them.
    local.deliver(match, read(3));
    expect([first.close(), second.close(), abandoned.close()].map((closed) => closed.kept)).toEqual([[], [], []]);
  });

  test("a gap keeps at most 100 events, and past them still a closing one", async () => {
    const local = attached();
    const match = topic("m:23:1");
    const gap = local.openGap([match]);
    for (let i = 1; i <= 150; i++) local.deliver(match, read(i));
    const ended: ServerEvent = { type: "match_ended", match_id: 23, reason: "blocked" };
    local.deliver(match, ended);
    const { kept } = gap.close();
    expect(kept).toHaveLength(101);
    expect(kept[99]!.event).toEqual(read(100));
    expect(kept[100]!.event).toEqual(ended);
  });
});

/**
 * A WebSocket client over a plain TCP socket, which reads only when the test awaits its frames:
 * a slow reader. It speaks just enough of RFC 6455 to read unmasked, unfragmented text frames.
 */
async function rawConnect(): Promise<Connection & { framesUntil(last: string): Promise<string[]> }> {
  const serverSide = new Promise<Socket>((resolve) => pendingOpen.push(resolve));
  const socket = net.connect(server.port!, "127.0.0.1");
  let pending = Buffer.alloc(0);
  let upgraded = false;
  const frames: string[] = [];
  let waiter: { last: string; resolve(): void } | null = null;
  const handshake = Promise.withResolvers<void>();
  socket.on("error", (error) => handshake.reject(error));
  socket.on("data", (data: Buffer) => {
    pending = Buffer.concat([pending, data]);
    if (!upgraded) {
      const end = pending.indexOf("\r\n\r\n");
      if (end < 0) return;
      if (!pending.subarray(0, end).toString().startsWith("HTTP/1.1 101")) handshake.reject(new Error("not upgraded"));
      upgraded = true;
      pending = pending.subarray(end + 4);
      handshake.resolve();
    }
    for (;;) {
      if (pending.length < 2) break;
      let length = pending[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (pending.length < 4) break;
        length = pending.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (pending.length < 10) break;
        length = Number(pending.readBigUInt64BE(2));
        offset = 10;
      }
      if (pending.length < offset + length) break;
      frames.push(pending.subarray(offset, offset + length).toString());
      pending = pending.subarray(offset + length);
    }
    if (waiter && frames.includes(waiter.last)) waiter.resolve();
  });
  socket.on("connect", () => {
    socket.write(
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${btoa("0123456789abcdef")}\r\n\r\n`,
    );
  });
  await handshake.promise;
  const ws = await serverSide;
  socket.pause();
  const closedOnServer = serverClose.get(ws)!.promise;
  opened.push({
    close: () => {
      socket.destroy();
      return closedOnServer;
    },
  });
  return {
    ws,
    closedOnServer,
    framesUntil(last) {
      const { promise, resolve } = Promise.withResolvers<void>();
      waiter = { last, resolve };
      if (frames.includes(last)) resolve();
      socket.resume();
      return promise.then(() => frames);
    },
  };
}
