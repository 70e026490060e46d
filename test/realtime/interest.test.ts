// Interest-based subscriptions: a process subscribes in Redis to the channel of each user it holds a
// socket for, and only while it does; events still cross processes, and a Redis restart resubscribes.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { LocalDelivery } from "../../src/realtime/bus";
import { RedisBus } from "../../src/realtime/bus.redis";
import { type ServerProcess, startServer } from "../helpers/process";
import { call, eventually, type Pair, seedPairs, serverEnv, tokenFor } from "../helpers/remote";
import { SocketClient } from "../helpers/socket";
import { type ThrowawayRedis, throwawayServers } from "../helpers/throwaway";

const PREFIX = "interest";
let redis: ThrowawayRedis;
let one: ServerProcess;
let two: ServerProcess;
let pairs: Pair[];
const sockets: SocketClient[] = [];

afterAll(async () => {
  for (const socket of sockets) socket.ws.close();
  await Promise.all([one?.stop(), two?.stop()]);
}, 30_000);
const servers = throwawayServers();

beforeAll(async () => {
  const [pg, started] = await Promise.all([servers.postgres(), servers.redis()]);
  redis = started;
  const env = serverEnv(pg.url, { REDIS_URL: redis.url, REDIS_PREFIX: PREFIX });
  [one, two] = await Promise.all([startServer(env), startServer(env)]);
  pairs = await seedPairs(pg.url, 4, 44_000_000);
}, 60_000);

async function connect(server: ServerProcess, pair: Pair, userId: number): Promise<SocketClient> {
  const socket = await SocketClient.open(
    `${server.ws}/api/mystery/ws/chat/${pair.matchId}/${userId}?token=${tokenFor(userId)}`,
  );
  sockets.push(socket);
  await socket.next("connected");
  return socket;
}

/** What Redis itself says: how many connections are subscribed to each user's channel. */
async function subscribers(...userIds: number[]): Promise<number[]> {
  const client = new RedisClient(redis.url);
  try {
    const reply: (string | number)[] = await client.send("PUBSUB", [
      "NUMSUB",
      ...userIds.map((userId) => `${PREFIX}:u:${userId}`),
    ]);
    return reply.filter((_, i) => i % 2 === 1).map(Number);
  } finally {
    client.close();
  }
}

async function redisInfo(section: string): Promise<string> {
  const client = new RedisClient(redis.url);
  try {
    return await client.send("INFO", [section]);
  } finally {
    client.close();
  }
}

/** The bus_channels gauge a process's /metrics shows. */
async function channelsOf(server: ServerProcess): Promise<number> {
  const text = await fetch(`${server.http}/metrics`).then((response) => response.text());
  return Number(/^mystery_match_bus_channels (\d+)$/m.exec(text)?.[1]);
}

const settles = (userIds: number[], expected: number[]) =>
  eventually(async () => Bun.deepEquals(await subscribers(...userIds), expected), 5_000, 20);

test("a process subscribes to a user's channel with their first socket and unsubscribes after their last", async () => {
  const { a, b, matchId } = pairs[0]!;
  expect(await subscribers(a, b)).toEqual([0, 0]);

  // Subscribed before `connected`: the upgrade waits for Redis to acknowledge the SUBSCRIBE.
  const alice = await connect(one, pairs[0]!, a);
  expect(await subscribers(a, b)).toEqual([1, 0]);
  const aliceAgain = await connect(one, pairs[0]!, a);
  expect(await subscribers(a, b)).toEqual([1, 0]);
  const bob = await connect(two, pairs[0]!, b);
  expect(await subscribers(a, b)).toEqual([1, 1]);
  // A second process holding a socket of alice subscribes too: each event reaches exactly the processes that deliver it.
  const aliceOnTwo = await connect(two, pairs[0]!, a);
  expect(await subscribers(a, b)).toEqual([2, 1]);
  // /metrics says so too: one channel on process one (alice), two on process two (bob and alice).
  expect(await channelsOf(one)).toBe(1);
  expect(await channelsOf(two)).toBe(2);

  // Events still cross processes, to every socket of the recipient.
  const sent = await call(two.http, "POST", "/api/mystery/send-message", {
    as: b,
    body: { match_id: matchId, message_text: "per-user channel" },
  });
  expect(sent.status).toBe(200);
  for (const socket of [alice, aliceAgain, aliceOnTwo]) {
    expect((await socket.next("message")).message).toMatchObject({ message: "per-user channel", is_me: false });
  }

  await aliceOnTwo.close();
  expect(await settles([a, b], [1, 1])).toBe(true);
  await alice.close();
  // Alice still has a socket on one: its subscription stays.
  expect(await settles([a, b], [1, 1])).toBe(true);
  await aliceAgain.close();
  await bob.close();
  expect(await settles([a, b], [0, 0])).toBe(true);
});

test("a refused upgrade leaves no subscription behind", async () => {
  const { a, b } = pairs[1]!;
  // Bob's own id on someone else's match: 403 or 404 before the socket opens.
  const refused = await fetch(`${one.http}/api/mystery/ws/chat/${pairs[2]!.matchId}/${a}?token=${tokenFor(a)}`, {
    headers: {
      upgrade: "websocket",
      connection: "upgrade",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-version": "13",
    },
  });
  expect(refused.status).toBe(404);
  expect(await settles([a, b], [0, 0])).toBe(true);
});

test("after a Redis restart each process subscribes again to every channel it needs, in one command", async () => {
  const pair = pairs[3]!;
  const alice = await connect(one, pair, pair.a);
  const bob = await connect(two, pair, pair.b);
  const carol = await connect(one, pairs[1]!, pairs[1]!.a);
  expect(await subscribers(pair.a, pair.b, pairs[1]!.a)).toEqual([1, 1, 1]);

  await redis.stop();
  await redis.start();
  // Once its channels are subscribed again, each process closes the sockets they are for to catch up
  // (what crossed processes meanwhile was not heard there).
  expect((await Promise.all([alice.closed, bob.closed, carol.closed])).map((closed) => closed.code)).toEqual([
    1012, 1012, 1012,
  ]);
  // A fresh server counts from zero: one SUBSCRIBE per process, whatever the number of channels.
  const calls = /cmdstat_subscribe:calls=(\d+)/.exec(await redisInfo("commandstats"))?.[1];
  expect(Number(calls)).toBe(2);

  // A socket opened again hears the other process.
  const bobAgain = await connect(two, pair, pair.b);
  const sent = await call(one.http, "POST", "/api/mystery/send-message", {
    as: pair.a,
    body: { match_id: pair.matchId, message_text: "after the restart" },
  });
  expect(sent.status).toBe(200);
  expect((await bobAgain.next("message")).message.message).toBe("after the restart");
  await bobAgain.close();
});

test("claims and releases made in one turn of the event loop go out as one SUBSCRIBE and one UNSUBSCRIBE", async () => {
  const bus = new RedisBus([redis.url], "interest-batch", new LocalDelivery());
  await bus.start();
  const admin = new RedisClient(redis.url);
  const calls = async (command: string) =>
    Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(await admin.send("INFO", ["commandstats"]))?.[1] ?? 0);
  const numsub = async (users: number[]) => {
    const reply: (string | number)[] = await admin.send("PUBSUB", [
      "NUMSUB",
      ...users.map((u) => `interest-batch:u:${u}`),
    ]);
    return reply.filter((_, i) => i % 2 === 1).map(Number);
  };
  try {
    const users = Array.from({ length: 50 }, (_, i) => 47_000_000 + i);
    await admin.send("CONFIG", ["RESETSTAT"]);
    await Promise.all(users.map((user) => bus.claim(user)));
    expect(await calls("subscribe")).toBe(1);
    expect(bus.channelCount).toBe(50);
    expect(new Set(await numsub(users))).toEqual(new Set([1]));
    // A second claim of a subscribed user costs Redis nothing; its release leaves the first claim's subscription.
    await bus.claim(users[0]!);
    bus.release(users[0]!);
    for (const user of users) bus.release(user);
    expect(await eventually(async () => bus.channelCount === 0 && (await calls("unsubscribe")) === 1, 5_000, 20)).toBe(
      true,
    );
    expect(await calls("subscribe")).toBe(1);
    expect(new Set(await numsub(users))).toEqual(new Set([0]));
    // Released and claimed again in the same turn: still subscribed.
    await bus.claim(users[1]!);
    bus.release(users[1]!);
    await bus.claim(users[1]!);
    expect(await numsub([users[1]!])).toEqual([1]);
  } finally {
    admin.close();
    await bus.close();
  }
});
