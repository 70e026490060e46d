// Redis stopped under two server processes: each keeps serving HTTP and its own sockets, delivery
// between the processes comes back by itself when Redis does, and what it could not carry meanwhile
// reaches the sockets through a catch-up (their close with 1012 and a reconnect with since=).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { type ServerProcess, startServer } from "../helpers/process";
import { call, eventually, type Pair, seedPairs, serverEnv, tokenFor } from "../helpers/remote";
import { FollowingClient, SocketClient } from "../helpers/socket";
import { type ThrowawayRedis, throwawayServers } from "../helpers/throwaway";

let redis: ThrowawayRedis;
let one: ServerProcess;
let two: ServerProcess;
/** cross: alice on one, bob on two; onOne: both on one; onTwo: both on two. */
let cross: Pair;
let onOne: Pair;
let onTwo: Pair;
const sockets: SocketClient[] = [];
const followers: FollowingClient[] = [];

// Registered first, so it runs first: the servers stop before their databases go.
afterAll(async () => {
  for (const socket of sockets) socket.ws.close();
  await Promise.all(followers.map((client) => client.close()));
  await Promise.all([one?.stop(), two?.stop()]);
}, 30_000);
const servers = throwawayServers();

beforeAll(async () => {
  const [pg, started] = await Promise.all([servers.postgres(), servers.redis()]);
  redis = started;
  const env = serverEnv(pg.url, {
    REDIS_URL: redis.url,
    REDIS_PREFIX: "faults",
    // Limits on, so the Redis-backed counters (and their fallback) are in the path of every send.
    RATE_LIMIT_SENDS_PER_MINUTE: "10000",
  });
  one = await startServer(env);
  two = await startServer(env);
  [cross, onOne, onTwo] = (await seedPairs(pg.url, 3, 43_000_000)) as [Pair, Pair, Pair];
}, 60_000);

/** A client of `pair`'s chat that reconnects to catch up as the page does (FollowingClient). */
async function follow(server: ServerProcess, pair: Pair, userId: number, since = 0): Promise<FollowingClient> {
  const client = await FollowingClient.open(
    (from) => `${server.ws}/api/mystery/ws/chat/${pair.matchId}/${userId}?token=${tokenFor(userId)}&since=${from}`,
    since,
  );
  followers.push(client);
  return client;
}

async function connect(server: ServerProcess, matchId: number, userId: number, since?: number): Promise<SocketClient> {
  const query = `token=${tokenFor(userId)}${since === undefined ? "" : `&since=${since}`}`;
  const socket = await SocketClient.open(`${server.ws}/api/mystery/ws/chat/${matchId}/${userId}?${query}`);
  sockets.push(socket);
  await socket.next("connected");
  return socket;
}

/** Sends over HTTP and returns the stored message's id. */
async function send(server: ServerProcess, pair: Pair, from: number, text: string): Promise<number> {
  const reply = await call(server.http, "POST", "/api/mystery/send-message", {
    as: from,
    body: { match_id: pair.matchId, message_text: text },
  });
  expect([reply.status, reply.body.success]).toEqual([200, true]);
  return reply.body.message_id;
}

const received = (socket: SocketClient, text: string) =>
  socket.events.some((event) => event.type === "message" && event.message.message === text);

/** Whether `socket` gets `text` within `ms` (events are delivered after the send's reply, so poll). */
const arrives = (socket: SocketClient, text: string, ms = 5_000) =>
  eventually(async () => received(socket, text), ms, 20);

const isOpen = (socket: SocketClient) => socket.ws.readyState === WebSocket.OPEN;

test("with Redis down each process keeps serving; delivery across processes resumes when it is back", async () => {
  const alice = await connect(one, cross.matchId, cross.a);
  const bob = await connect(two, cross.matchId, cross.b);
  const carol = await connect(one, onOne.matchId, onOne.a);
  const dave = await connect(one, onOne.matchId, onOne.b);
  const erin = await connect(two, onTwo.matchId, onTwo.a);
  const frank = await connect(two, onTwo.matchId, onTwo.b);

  // Across processes through Redis, before the outage.
  const beforeId = await send(one, cross, cross.a, "before the outage");
  expect(await arrives(bob, "before the outage")).toBe(true);

  await redis.stop();

  // Each process still answers HTTP, stores messages and serves its own sockets, in both directions.
  for (const server of [one, two]) expect((await call(server.http, "GET", "/health")).status).toBe(200);
  await send(one, onOne, onOne.a, "one, local, during the outage");
  expect(await arrives(dave, "one, local, during the outage")).toBe(true);
  await send(one, onOne, onOne.b, "one, local reply");
  expect(await arrives(carol, "one, local reply")).toBe(true);
  await send(two, onTwo, onTwo.a, "two, local, during the outage");
  expect(await arrives(frank, "two, local, during the outage")).toBe(true);
  erin.send({ type: "message", text: "two, over the socket", client_msg_id: "erin-1" });
  expect((await erin.next("ack")).client_msg_id).toBe("erin-1");
  expect(await arrives(frank, "two, over the socket")).toBe(true);
  // Across processes a message is stored and acknowledged, though Redis cannot carry its event.
  await send(one, cross, cross.a, "across, during the outage");
  expect([alice, bob, carol, dave, erin, frank].every(isOpen)).toBe(true);

  await redis.start();

  // Once a process's subscriber is back, every socket it holds closes to catch up (1012): what crossed
  // processes meanwhile was not heard there. Nothing else closed them.
  const closes = await Promise.all([alice, bob, carol, dave, erin, frank].map((socket) => socket.closed));
  expect(closes.map((closed) => closed.code)).toEqual([1012, 1012, 1012, 1012, 1012, 1012]);

  // Connecting again with `since`, as the page does, brings what the outage kept from bob's socket.
  const bobAgain = await follow(two, cross, cross.b, beforeId);
  const aliceAgain = await follow(one, cross, cross.a, beforeId);
  expect(await eventually(async () => bobAgain.has("across, during the outage"), 5_000, 20)).toBe(true);

  // Delivery across processes comes back by itself (the connections retry with backoff up to 10 s).
  let attempt = 0;
  const acrossTo = async (server: ServerProcess, from: number, to: FollowingClient) => {
    const text = `after the outage #${attempt++}`;
    await send(server, cross, from, text);
    return eventually(async () => to.has(text), 500, 20);
  };
  expect(await eventually(() => acrossTo(one, cross.a, bobAgain), 30_000, 0)).toBe(true);
  expect(await eventually(() => acrossTo(two, cross.b, aliceAgain), 30_000, 0)).toBe(true);
  await Promise.all([bobAgain.close(), aliceAgain.close()]);
}, 90_000);

/** Kills the Redis connections of one kind (`pubsub`: the bus's subscribers; `normal`: every other one) of both processes. */
async function killConnections(type: "pubsub" | "normal"): Promise<void> {
  const client = new RedisClient(redis.url);
  try {
    // Not this connection itself, which is of type normal too.
    await client.send("CLIENT", ["KILL", "TYPE", type, "SKIPME", "yes"]);
  } finally {
    client.close();
  }
}

/** The process's count of sockets closed to catch up, from its /metrics. */
async function catchUpsOf(server: ServerProcess): Promise<number> {
  const text = await fetch(`${server.http}/metrics`).then((response) => response.text());
  return Number(/^mystery_match_socket_catch_ups_total (\d+)$/m.exec(text)?.[1]);
}

test("a subscriber connection lost for a moment: sockets catch up, and what crossed meanwhile reaches them", async () => {
  const bob = await follow(two, cross, cross.b);
  const alice = await follow(one, cross, cross.a);
  await send(one, cross, cross.a, "before the cut");
  expect(await eventually(async () => bob.has("before the cut"), 5_000, 20)).toBe(true);

  const before = [await catchUpsOf(one), await catchUpsOf(two)];
  await killConnections("pubsub");
  // At once, before the subscribers are back (they retry after 1 s): the event cannot reach process two.
  await send(one, cross, cross.a, "while the subscribers were away");
  expect(await eventually(async () => bob.has("while the subscribers were away"), 15_000, 20)).toBe(true);
  expect(bob.catchUps).toBe(1);
  expect(alice.catchUps).toBe(1);
  // Each process counts the sockets it closed to catch up: one each (alice on one, bob on two).
  expect([(await catchUpsOf(one)) - before[0]!, (await catchUpsOf(two)) - before[1]!]).toEqual([1, 1]);
  await Promise.all([bob.close(), alice.close()]);
}, 60_000);

test("publishers cut off for a moment: the users they could not publish to catch up, nothing is lost", async () => {
  const bob = await follow(two, cross, cross.b);
  const sent: string[] = [];
  await killConnections("normal");
  // At once: process one's publisher is gone until it reconnects (1 s), so these cannot go out on Redis.
  for (let i = 0; i < 5; i++) {
    const text = `while the publishers were away #${i}`;
    await send(one, cross, cross.a, text);
    sent.push(text);
  }
  expect(await eventually(async () => sent.every((text) => bob.has(text)), 15_000, 20)).toBe(true);
  // Bob's own socket never lost its subscription: it was told to catch up by process one.
  expect(bob.catchUps).toBeGreaterThanOrEqual(1);
  await bob.close();
}, 60_000);
