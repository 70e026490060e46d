// Several Redis servers: every key and channel on one server by a stable hash, the same on every
// process; stopping one server degrades only its share, which comes back by itself when it does.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { redisServers, serverFor } from "../../src/realtime/shards";
import { type ServerProcess, startServer } from "../helpers/process";
import { call, eventually, type Pair, seedPairs, serverEnv, tokenFor } from "../helpers/remote";
import { FollowingClient } from "../helpers/socket";
import { type ThrowawayRedis, throwawayServers } from "../helpers/throwaway";

describe("serverFor", () => {
  const keys = Array.from({ length: 10_000 }, (_, i) => `mystery-match:u:${i}`);

  test("picks the same server whatever the order the servers are listed in", () => {
    const servers = ["10.0.0.1:6379/0", "10.0.0.2:6379/0", "10.0.0.3:6379/0"];
    const reversed = [...servers].reverse();
    for (const key of keys.slice(0, 1000)) {
      expect(reversed[serverFor(reversed, key)]).toBe(servers[serverFor(servers, key)]!);
    }
  });

  test("spreads keys evenly, and a server added takes keys only for itself", () => {
    const two = ["a:6379/0", "b:6379/0"];
    const three = [...two, "c:6379/0"];
    const counts = [0, 0];
    let moved = 0;
    for (const key of keys) {
      const before = serverFor(two, key);
      counts[before]!++;
      const after = serverFor(three, key);
      if (after !== before) {
        expect(after).toBe(2);
        moved++;
      }
    }
    for (const count of counts) expect(count / keys.length).toBeWithin(0.45, 0.55);
    expect(moved / keys.length).toBeWithin(0.28, 0.39);
  });

  test("REDIS_URL's servers are its comma-separated URLs", () => {
    expect(redisServers("redis://a:6379,redis://b:6380")).toEqual(["redis://a:6379", "redis://b:6380"]);
  });
});

describe("two Redis servers under two processes", () => {
  const PREFIX = "shards";
  const servers = throwawayServers();
  let redis: [ThrowawayRedis, ThrowawayRedis];
  let one: ServerProcess;
  let two: ServerProcess;
  let pairs: Pair[];
  const clients: FollowingClient[] = [];

  beforeAll(async () => {
    const [pg, r1, r2] = await Promise.all([servers.postgres(), servers.redis(), servers.redis()]);
    redis = [r1, r2];
    const env = serverEnv(pg.url, {
      REDIS_URL: `${r1.url},${r2.url}`,
      REDIS_PREFIX: PREFIX,
      RATE_LIMIT_SENDS_PER_MINUTE: "10000",
    });
    [one, two] = await Promise.all([startServer(env), startServer(env)]);
    pairs = await seedPairs(pg.url, 8, 45_000_000);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all([one?.stop(), two?.stop()]);
  }, 30_000);

  async function follow(server: ServerProcess, pair: Pair, userId: number): Promise<FollowingClient> {
    const client = await FollowingClient.open(
      (since) => `${server.ws}/api/mystery/ws/chat/${pair.matchId}/${userId}?token=${tokenFor(userId)}&since=${since}`,
    );
    clients.push(client);
    return client;
  }

  async function onServer<T>(server: ThrowawayRedis, command: string, args: string[]): Promise<T> {
    const client = new RedisClient(server.url);
    try {
      return await client.send(command, args);
    } finally {
      client.close();
    }
  }

  /** Per Redis server, how many connections are subscribed to `userId`'s channel. */
  async function subscribersOf(userId: number): Promise<number[]> {
    return Promise.all(
      redis.map(async (server) => {
        const reply = await onServer<(string | number)[]>(server, "PUBSUB", ["NUMSUB", `${PREFIX}:u:${userId}`]);
        return Number(reply[1]);
      }),
    );
  }

  async function send(server: ServerProcess, pair: Pair, text: string): Promise<void> {
    const reply = await call(server.http, "POST", "/api/mystery/send-message", {
      as: pair.a,
      body: { match_id: pair.matchId, message_text: text },
    });
    expect(reply.status).toBe(200);
  }

  test("channels and keys spread over both servers; stopping one stops only its share, until it is back", async () => {
    // Alice of each pair on process one, Bob on process two: every message crosses processes. They
    // reconnect to catch up as the page does.
    const bobs: FollowingClient[] = [];
    for (const pair of pairs) {
      await follow(one, pair, pair.a);
      bobs.push(await follow(two, pair, pair.b));
    }
    // Each user's channel lives on exactly one server, the same for both processes (else nothing would arrive).
    const home = new Map<number, number>();
    for (const pair of pairs) {
      for (const userId of [pair.a, pair.b]) {
        const counts = await subscribersOf(userId);
        expect(counts.toSorted()).toEqual([0, 1]);
        home.set(userId, counts.indexOf(1));
      }
    }
    expect(new Set(home.values()).size).toBe(2);
    for (const [i, pair] of pairs.entries()) {
      await send(one, pair, `before ${i}`);
      expect(await eventually(async () => bobs[i]!.has(`before ${i}`), 5_000, 20)).toBe(true);
    }
    // Presence keys and rate-limit counters (the send bucket of each sender) are on both servers too.
    for (const server of redis) {
      expect((await onServer<string[]>(server, "KEYS", [`${PREFIX}:presence:*`])).length).toBeGreaterThan(0);
      expect((await onServer<string[]>(server, "KEYS", [`${PREFIX}:bucket:*`])).length).toBeGreaterThan(0);
    }

    await redis[1].stop();
    // Every send is still stored and answered; Bobs whose channel is on the running server still get theirs.
    for (const [i, pair] of pairs.entries()) await send(one, pair, `during ${i}`);
    const onRunning = (i: number) => home.get(pairs[i]!.b) === 0;
    const bobsOnRunning = pairs.flatMap((_, i) => (onRunning(i) ? [i] : []));
    expect(bobsOnRunning.length).toBeGreaterThan(0);
    for (const i of bobsOnRunning) {
      expect(await eventually(async () => bobs[i]!.has(`during ${i}`), 5_000, 20)).toBe(true);
    }

    // Back by itself: each process subscribes again on the restarted server; the sockets of its share
    // (and only those) close to catch up, and what they missed reaches them.
    await redis[1].start();
    // A Bob of the restarted share may be asked twice: by his own process's new subscriber, and by process
    // one's new publisher for what it could not publish to him (when that came after his resubscribe).
    for (const [i, bob] of bobs.entries()) {
      expect(await eventually(async () => bob.has(`during ${i}`), 15_000, 20)).toBe(true);
      if (onRunning(i)) expect(bob.catchUps).toBe(0);
      else expect(bob.catchUps).toBeGreaterThanOrEqual(1);
    }
    for (const pair of pairs) {
      for (const userId of [pair.a, pair.b]) {
        const expected = home.get(userId) === 0 ? [1, 0] : [0, 1];
        expect(await eventually(async () => Bun.deepEquals(await subscribersOf(userId), expected), 15_000)).toBe(true);
      }
    }
    for (const [i, pair] of pairs.entries()) {
      await send(one, pair, `after ${i}`);
      expect(await eventually(async () => bobs[i]!.has(`after ${i}`), 5_000, 20)).toBe(true);
    }
  }, 60_000);
});
