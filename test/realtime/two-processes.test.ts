import { afterAll, beforeAll, expect, test } from "bun:test";
import { signToken } from "../../src/modules/auth/jwt";
import { createTestContext, JWT_SECRET, ON_POSTGRES, type TestContext } from "../helpers/app";
import { type ServerProcess, startServer } from "../helpers/process";
import { SocketClient } from "../helpers/socket";

// Two real server processes share the test database and the Redis on 127.0.0.1:6379.
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

let ctx: TestContext;
let one: ServerProcess;
let two: ServerProcess;
// Server processes share one database: PostgreSQL only (an in-memory PGlite lives in this process).
const postgresOnly = test.skipIf(!ON_POSTGRES);

beforeAll(async () => {
  if (!ON_POSTGRES) return;
  ctx = await createTestContext();
  // A prefix of its own keeps this run's keys apart from earlier runs and other users of this Redis.
  const env = {
    DATABASE_URL: ctx.config.databaseUrl!,
    JWT_SECRET,
    REDIS_URL,
    REDIS_PREFIX: `mm-test-${crypto.randomUUID()}`,
    // A bucket of 4 that regains one send a minute: six sends in a row are 4 taken and 2 refused.
    RATE_LIMIT_SENDS_PER_MINUTE: "1",
    RATE_LIMIT_SENDS_BURST: "4",
  };
  [one, two] = await Promise.all([startServer(env), startServer(env)]);
});
afterAll(async () => {
  await Promise.all([one?.stop(), two?.stop()]);
  await ctx?.close();
});

const connect = (server: ServerProcess, matchId: number, userId: number) =>
  SocketClient.open(
    `${server.ws}/api/mystery/ws/chat/${matchId}/${userId}?token=${signToken(JWT_SECRET, userId, 600)}`,
  );

postgresOnly("users on different processes see each other's presence, messages and lifecycle events", async () => {
  const [a, b] = [13_000_001, 13_000_002];
  await ctx.addUsers({ id: a }, { id: b });
  const matchId = await ctx.addMatch(a, b);

  const alice = await connect(one, matchId, a);
  expect((await alice.next("connected")).partner_online).toBe(false);
  const bob = await connect(two, matchId, b);
  expect((await bob.next("connected")).partner_online).toBe(true);
  expect(await alice.next("user_online")).toEqual({ type: "user_online" });

  alice.send({ type: "message", text: "across processes" });
  const ack = await alice.next("ack");
  expect((await bob.next("message")).message).toMatchObject({ id: ack.message_id, is_me: false });

  bob.send({ type: "typing", is_typing: true });
  expect(await alice.next("typing")).toEqual({ type: "typing", is_typing: true });

  // The status route on process one sees the socket held by process two.
  const status = await fetch(`${one.http}/api/mystery/chat/online-status/${matchId}/${a}`, {
    headers: { authorization: `Bearer ${signToken(JWT_SECRET, a, 60)}` },
  }).then((response) => response.json());
  expect(status).toEqual({ success: true, is_online: true, last_seen: null });

  await bob.close();
  expect((await alice.next("user_offline")).last_seen).toEqual(expect.any(String));
  const back = await connect(two, matchId, b);
  await back.next("connected");

  // An unmatch handled by process one ends the socket held by process two.
  await fetch(`${one.http}/api/mystery/unmatch`, {
    method: "POST",
    headers: { authorization: `Bearer ${signToken(JWT_SECRET, a, 60)}`, "content-type": "application/json" },
    body: JSON.stringify({ match_id: matchId }),
  });
  expect(await back.next("match_ended")).toEqual({ type: "match_ended", match_id: matchId, reason: "unmatched" });
  expect((await back.closed).code).toBe(4410);
  expect((await alice.closed).code).toBe(4410);
});

postgresOnly("the per-user message limit counts sends on every process together", async () => {
  const [a, b] = [13_000_021, 13_000_022];
  await ctx.addUsers({ id: a }, { id: b });
  const matchId = await ctx.addMatch(a, b);
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) {
    const server = i % 2 ? two : one;
    const response = await fetch(`${server.http}/api/mystery/send-message`, {
      method: "POST",
      headers: { authorization: `Bearer ${signToken(JWT_SECRET, a, 60)}`, "content-type": "application/json" },
      body: JSON.stringify({ match_id: matchId, message_text: `m${i}` }),
    });
    statuses.push(response.status);
  }
  // One bucket for both processes, whichever took the sends.
  expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
});

postgresOnly("with Redis unreachable a process still serves HTTP and its own sockets", async () => {
  const lonely = await startServer({
    DATABASE_URL: ctx.config.databaseUrl!,
    JWT_SECRET,
    REDIS_URL: "redis://127.0.0.1:1",
  });
  try {
    expect((await fetch(`${lonely.http}/health`)).status).toBe(200);
    const [a, b] = [13_000_011, 13_000_012];
    await ctx.addUsers({ id: a }, { id: b });
    const matchId = await ctx.addMatch(a, b);
    const alice = await connect(lonely, matchId, a);
    const bob = await connect(lonely, matchId, b);
    await bob.next("connected");
    alice.send({ type: "message", text: "still here" });
    expect((await bob.next("message")).message.message).toBe("still here");
    await Promise.all([alice.close(), bob.close()]);
  } finally {
    expect(await lonely.stop()).toBe(0);
  }
});
