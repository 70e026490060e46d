// Notifications across real server processes sharing PostgreSQL and Redis: a socket open on another
// process keeps its user from being pinged, and serve's own sender survives a restart mid-queue.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { signToken } from "../../../src/modules/auth/jwt";
import { sendMessage } from "../../../src/modules/chat/store";
import { createNotificationSender } from "../../../src/modules/notifications/sender";
import { createBotApi } from "../../../src/modules/telegram/bot-api";
import { BOT_TOKEN, createTestContext, JWT_SECRET, ON_POSTGRES, type TestContext } from "../../helpers/app";
import { type FakeTelegram, startFakeTelegram } from "../../helpers/fake-telegram";
import { startServer } from "../../helpers/process";
import { eventually } from "../../helpers/remote";
import { SocketClient } from "../../helpers/socket";
import { throwawayServers } from "../../helpers/throwaway";

const PUBLIC_URL = "https://mm.example/app/";
// Server processes share one database: PostgreSQL only (an in-memory PGlite lives in this process).
const postgresOnly = test.skipIf(!ON_POSTGRES);

const servers = throwawayServers();
let ctx: TestContext;
let fake: FakeTelegram;
let env: Record<string, string>;
beforeAll(async () => {
  if (!ON_POSTGRES) return;
  // A redis-server of this file's own, shared by this process and the servers it starts.
  const REDIS_URL = (await servers.redis()).url;
  const prefix = `mm-test-${crypto.randomUUID()}`;
  ctx = await createTestContext({ REDIS_URL, REDIS_PREFIX: prefix });
  fake = startFakeTelegram(BOT_TOKEN);
  env = { DATABASE_URL: ctx.config.databaseUrl!, JWT_SECRET, REDIS_URL, REDIS_PREFIX: prefix };
}, 60_000);
afterAll(async () => {
  await fake?.stop();
  await ctx?.close();
});

let nextId = 7_400_000_001;
async function user() {
  const id = nextId++;
  await ctx.addUsers({ id });
  await ctx.query(sql`INSERT INTO telegram_chats (user_id, chat_id, reachable) VALUES (${id}, ${id}, true)`);
  return id;
}
const send = (matchId: number, senderId: number, text: string, now = new Date()) =>
  sendMessage(ctx.db, ctx.config.unlockThresholds, { matchId, senderId, text }, now);
const sentTo = (chatId: number) => fake.callsOf("sendMessage").filter((call) => call.body.chat_id === chatId);

postgresOnly("a socket open on another process (presence through Redis) keeps its user from being pinged", async () => {
  const other = await startServer(env);
  try {
    const [a, b] = [await user(), await user()];
    const matchId = await ctx.addMatch(a, b);
    const socket = await SocketClient.open(
      `${other.ws}/api/mystery/ws/chat/${matchId}/${b}?token=${signToken(JWT_SECRET, b, 600)}`,
    );
    await socket.next("connected");
    let now = new Date();
    const sender = createNotificationSender({
      db: ctx.db,
      bot: createBotApi({ apiUrl: fake.url, token: BOT_TOKEN }),
      presence: ctx.realtime.presence,
      publicUrl: PUBLIC_URL,
      maxPerSecond: 25,
      clock: () => now,
      holder: "this-process",
    });
    await send(matchId, a, "while b has the chat open elsewhere", now);
    expect((await sender.tick()).skipped).toBe(1);
    expect(sentTo(b)).toEqual([]);

    // Once the socket is gone (and the window since the skip has passed) the next message is told.
    await socket.close();
    expect(await eventually(async () => !(await ctx.realtime.presence.status(matchId, b)).online, 5000)).toBe(true);
    now = new Date(now.getTime() + 16 * 60_000);
    await send(matchId, a, "after b left", now);
    expect((await sender.tick()).sent).toBe(1);
    expect(sentTo(b).map((call) => call.body.text)).toEqual(["💬 You have 2 new messages."]);
    await sender.stop();
  } finally {
    await other.stop();
  }
});

postgresOnly("serve sends notifications; restarted mid-queue, nothing is lost and nothing sent twice", async () => {
  const serving = {
    ...env,
    TELEGRAM_BOT_TOKEN: BOT_TOKEN,
    TELEGRAM_API_URL: fake.url,
    PUBLIC_URL,
    TELEGRAM_MAX_PER_SECOND: "3",
  };
  const a = await user();
  const recipients: number[] = [];
  for (let i = 0; i < 12; i++) recipients.push(await user());
  for (const r of recipients) await send(await ctx.addMatch(a, r), a, "queued");
  const before = fake.callsOf("sendMessage").length;

  const first = await startServer(serving);
  // Some went out, then the process is stopped (SIGTERM) in the middle of the queue.
  try {
    await fake.waitFor("sendMessage", before + 3, 10_000);
  } finally {
    expect(await first.stop()).toBe(0);
  }
  const byFirst = fake.callsOf("sendMessage").length - before;
  expect(byFirst).toBeLessThan(recipients.length);

  const second = await startServer(serving);
  try {
    await fake.waitFor("sendMessage", before + recipients.length, 20_000);
    // Each row is marked right after its 200 arrives.
    const statuses = () =>
      ctx.query<{ status: string }>(
        sql`SELECT status FROM notifications WHERE user_id IN (${sql.join(recipients, sql`, `)})`,
      );
    await eventually(async () => (await statuses()).every((row) => row.status === "sent"), 5000);
    expect((await statuses()).map((row) => row.status)).toEqual(recipients.map(() => "sent"));
    // Each recipient exactly once, whichever process sent it.
    const chats = fake
      .callsOf("sendMessage")
      .slice(before)
      .map((call) => call.body.chat_id)
      .sort();
    expect(chats).toEqual([...recipients].sort());
    const metrics = await (await fetch(`${second.http}/metrics`)).text();
    expect(Number(/^mystery_match_notifications_sent_total (\d+)$/m.exec(metrics)?.[1])).toBe(
      recipients.length - byFirst,
    );
  } finally {
    await second.stop();
  }
});
