// Redis stopped under two server processes: each keeps serving HTTP and its own sockets, and
// delivery between the processes comes back by itself when Redis does.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type ServerProcess, startServer } from "../helpers/process";
import { call, eventually, type Pair, seedPairs, serverEnv, tokenFor } from "../helpers/remote";
import { SocketClient } from "../helpers/socket";
import { type ThrowawayRedis, throwawayServers } from "../helpers/throwaway";

let redis: ThrowawayRedis;
let one: ServerProcess;
let two: ServerProcess;
/** cross: alice on one, bob on two; onOne: both on one; onTwo: both on two. */
let cross: Pair;
let onOne: Pair;
let onTwo: Pair;
const sockets: SocketClient[] = [];

// Registered first, so it runs first: the servers stop before their databases go.
afterAll(async () => {
  for (const socket of sockets) socket.ws.close();
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
  const missedId = await send(one, cross, cross.a, "across, during the outage");
  expect([alice, bob, carol, dave, erin, frank].every(isOpen)).toBe(true);

  await redis.start();

  // Delivery across processes comes back by itself (the connections retry with backoff up to 10 s):
  // keep sending until one arrives, in each direction.
  let attempt = 0;
  const acrossTo = async (server: ServerProcess, from: number, socket: SocketClient) => {
    const text = `after the outage #${attempt++}`;
    await send(server, cross, from, text);
    return arrives(socket, text, 500);
  };
  expect(await eventually(() => acrossTo(one, cross.a, bob), 30_000, 0)).toBe(true);
  expect(await eventually(() => acrossTo(two, cross.b, alice), 30_000, 0)).toBe(true);
  expect([alice, bob, carol, dave, erin, frank].every(isOpen)).toBe(true);

  // What the outage kept from bob's socket is not lost: reconnecting with `since` replays it.
  const caughtUp = await connect(two, cross.matchId, cross.b, beforeId);
  const history = await caughtUp.next("history");
  expect(history.messages.map((message: { id: number }) => message.id)).toContain(missedId);
}, 90_000);
