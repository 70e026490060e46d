// One user cannot hold hundreds of sockets: one more than MAX_SOCKETS_PER_USER closes their oldest with 4409.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { signToken } from "../../src/modules/auth/jwt";
import { createTestContext, JWT_SECRET, type TestContext } from "../helpers/app";
import { type Closed, SocketClient } from "../helpers/socket";

let ctx: TestContext;
let ws: string;
beforeAll(async () => {
  ctx = await createTestContext({ MAX_SOCKETS_PER_USER: "3" });
  ({ ws } = ctx.listen());
});
afterAll(() => ctx.close());

const path = (matchId: number, userId: number) =>
  `/api/mystery/ws/chat/${matchId}/${userId}?token=${signToken(JWT_SECRET, userId, 600)}`;

async function open(matchId: number, userId: number): Promise<SocketClient> {
  const client = await SocketClient.open(`${ws}${path(matchId, userId)}`);
  await client.next("connected");
  return client;
}

/** Whether the socket has closed by the time a fresh round trip on `probe` completed. */
async function closedBy(socket: SocketClient, probe: SocketClient): Promise<Closed | null> {
  probe.send({ type: "ping" });
  await probe.next("pong");
  return Promise.race([socket.closed, Promise.resolve(null)]);
}

test("opening one socket more than MAX_SOCKETS_PER_USER closes that user's oldest with 4409", async () => {
  const [user, p1, p2, other] = [15_100_001, 15_100_002, 15_100_003, 15_100_004];
  await ctx.addUsers({ id: user }, { id: p1 }, { id: p2 }, { id: other });
  const [m1, m2, m3] = [await ctx.addMatch(user, p1), await ctx.addMatch(p2, user), await ctx.addMatch(other, p1)];
  const first = await open(m1, user);
  const second = await open(m2, user);
  const third = await open(m1, user);
  const bystander = await open(m3, other);

  const fourth = await open(m2, user);
  expect(await first.closed).toEqual({ code: 4409, reason: "too many sockets" });
  for (const socket of [second, third, fourth, bystander]) expect(await closedBy(socket, fourth)).toBeNull();

  const fifth = await open(m1, user);
  expect((await second.closed).code).toBe(4409);
  for (const socket of [third, fourth, fifth]) expect(await closedBy(socket, fifth)).toBeNull();
  await Promise.all([third, fourth, fifth, bystander].map((socket) => socket.close()));
});
