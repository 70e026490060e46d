// A ban takes effect everywhere at once: open sockets close with 4403, and every action of the banned user is refused.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { signToken } from "../../src/modules/auth/jwt";
import { markRead } from "../../src/modules/chat/history";
import { ADMIN_TOKEN, createTestContext, JWT_SECRET, ON_POSTGRES, type TestContext } from "../helpers/app";
import { apiClient, settled } from "../helpers/client";
import { type ServerProcess, startServer } from "../helpers/process";
import { SocketClient, upgradeStatus } from "../helpers/socket";

let ctx: TestContext;
let ws: string;
let http: string;
beforeAll(async () => {
  ctx = await createTestContext();
  ({ ws, http } = ctx.listen());
});
afterAll(() => ctx.close());

const socketUrl = (base: string, matchId: number, userId: number) =>
  `${base}/api/mystery/ws/chat/${matchId}/${userId}?token=${signToken(JWT_SECRET, userId, 600)}`;
const connect = async (matchId: number, userId: number) => {
  const client = await SocketClient.open(socketUrl(ws, matchId, userId));
  await client.next("connected");
  return client;
};
const banned = { success: false as const, error: "banned", message: "Your account is suspended" };

async function banByOperator(userId: number) {
  const reply = await ctx.request("POST", `/api/admin/users/${userId}/ban`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: { hours: 24, reason: "test" },
  });
  expect(reply.status).toBe(200);
}

describe("an operator's ban", () => {
  test("closes every socket of the user with 4403, on every match, and only theirs", async () => {
    const [villain, p1, p2] = [14_100_001, 14_100_002, 14_100_003];
    await ctx.addUsers({ id: villain }, { id: p1 }, { id: p2 });
    const [m1, m2] = [await ctx.addMatch(villain, p1), await ctx.addMatch(p2, villain)];
    const sockets = [await connect(m1, villain), await connect(m1, villain), await connect(m2, villain)];
    const partner = await connect(m1, p1);

    await banByOperator(villain);
    for (const socket of sockets) {
      expect(await socket.next("error")).toEqual({
        type: "error",
        error: "banned",
        message: "Your account is suspended",
      });
      expect((await socket.closed).code).toBe(4403);
    }
    // The partner's socket stays open and working.
    partner.send({ type: "ping" });
    expect(await partner.next("pong")).toEqual({ type: "pong" });
    await partner.close();
  });

  test("then refuses the upgrade, sends, read markers and every secret-chat action with 403 banned", async () => {
    const [villain, partner] = [14_100_011, 14_100_012];
    await ctx.addUsers({ id: villain }, { id: partner });
    const matchId = await ctx.addMatch(villain, partner);
    const asVillain = apiClient(ctx, villain).api.mystery;
    // A request the partner made before the ban, which the banned user must not be able to answer.
    const asked = await settled(
      apiClient(ctx, partner).api.mystery["request-secret-chat"].post({ match_id: matchId, duration_minutes: 5 }),
    );
    expect(asked.status).toBe(200);
    await banByOperator(villain);

    expect(await upgradeStatus(socketUrl(http, matchId, villain))).toEqual({ status: 403, body: banned });
    expect(await settled(asVillain["send-message"].post({ match_id: matchId, message_text: "hi" }))).toEqual({
      status: 403,
      body: banned,
    });
    expect(await settled(asVillain["request-secret-chat"].post({ match_id: matchId, duration_minutes: 5 }))).toEqual({
      status: 403,
      body: banned,
    });
    expect(await settled(asVillain["accept-secret-chat"]({ match_id: matchId }).post({}))).toEqual({
      status: 403,
      body: banned,
    });
    expect(await settled(asVillain["decline-secret-chat"]({ match_id: matchId }).post({}))).toEqual({
      status: 403,
      body: banned,
    });
    await expect(markRead(ctx.db, matchId, villain, 1)).rejects.toMatchObject({ status: 403, code: "banned" });
  });
});

describe("the automatic ban", () => {
  test("closes the reported user's open sockets as the third counting report lands", async () => {
    const villain = 14_200_001;
    const reporters = [14_200_002, 14_200_003, 14_200_004];
    const longAgo = new Date(Date.now() - 30 * 86_400_000);
    await ctx.addUsers({ id: villain }, ...reporters.map((id) => ({ id, profileCreatedAt: longAgo })));
    const matchIds: number[] = [];
    for (const reporter of reporters) {
      const matchId = await ctx.addMatch(reporter, villain);
      matchIds.push(matchId);
      for (const text of ["one", "two", "three"]) {
        await ok200(
          apiClient(ctx, villain).api.mystery["send-message"].post({ match_id: matchId, message_text: text }),
        );
      }
    }
    const socket = await connect(matchIds[0]!, villain);
    for (const [i, reporter] of reporters.entries()) {
      await ok200(
        apiClient(ctx, reporter).api.mystery.report.post({
          match_id: matchIds[i]!,
          content_type: "match",
          reason: "abusive",
        }),
      );
    }
    expect((await socket.closed).code).toBe(4403);
  });
});

async function ok200(call: Promise<{ status: number }>) {
  expect((await call).status).toBe(200);
}

// A second server process on the same database and Redis: the ban must reach its sockets too.
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
describe("across processes", () => {
  let other: ServerProcess | null = null;
  let shared: TestContext | null = null;
  afterAll(async () => {
    await other?.stop();
    await shared?.close();
  });

  test.skipIf(!ON_POSTGRES)("a ban made on one process closes the user's socket held by another", async () => {
    const prefix = `mm-test-${crypto.randomUUID()}`;
    shared = await createTestContext({ REDIS_URL, REDIS_PREFIX: prefix });
    other = await startServer({
      DATABASE_URL: shared.config.databaseUrl!,
      JWT_SECRET,
      REDIS_URL,
      REDIS_PREFIX: prefix,
    });
    const [villain, partner] = [14_300_001, 14_300_002];
    await shared.addUsers({ id: villain }, { id: partner });
    const matchId = await shared.addMatch(villain, partner);
    const socket = await SocketClient.open(socketUrl(other.ws, matchId, villain));
    await socket.next("connected");

    const reply = await shared.request("POST", `/api/admin/users/${villain}/ban`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: { hours: 1, reason: "test" },
    });
    expect(reply.status).toBe(200);
    expect((await socket.closed).code).toBe(4403);
  });
});
