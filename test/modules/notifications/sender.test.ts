// The notification sender against the fake Bot API server: every kind, coalescing, the online skip, 429,
// 403, retries, a restart mid-queue, settings, metrics and the privacy scan. The sender's clock is moved by hand.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createApp } from "../../../src/http/app";
import { sendMessage } from "../../../src/modules/chat/store";
import { sweep } from "../../../src/modules/matches/sweeper";
import { LEASE_MS, STALE_SENDING_MS } from "../../../src/modules/notifications/queue";
import {
  createNotificationSender,
  GIVE_UP_MS,
  type NotificationSender,
} from "../../../src/modules/notifications/sender";
import { createBotApi } from "../../../src/modules/telegram/bot-api";
import { textsFor } from "../../../src/modules/telegram/texts";
import { BOT_TOKEN, createTestContext, type TestContext } from "../../helpers/app";
import { apiClient, ok } from "../../helpers/client";
import { conversation } from "../../helpers/conversation";
import { type FakeTelegram, type RecordedCall, startFakeTelegram } from "../../helpers/fake-telegram";

const PUBLIC_URL = "https://mm.example/app/";
const en = textsFor("en");
const hi = textsFor("hi");

let ctx: TestContext;
let fake: FakeTelegram;
let now: Date;
const clock = () => now;
const advance = (ms: number) => {
  now = new Date(now.getTime() + ms);
};

function newSender(options: { maxPerSecond?: number; holder?: string } = {}): NotificationSender {
  return createNotificationSender({
    db: ctx.db,
    bot: createBotApi({ apiUrl: fake.url, token: BOT_TOKEN, timeoutMs: 2000 }),
    presence: ctx.realtime.presence,
    publicUrl: PUBLIC_URL,
    maxPerSecond: options.maxPerSecond ?? 25,
    clock,
    holder: options.holder ?? "test-sender",
  });
}

let sender: NotificationSender;
beforeAll(async () => {
  ctx = await createTestContext();
  fake = startFakeTelegram(BOT_TOKEN);
  sender = newSender();
});
afterAll(async () => {
  await fake.stop();
  await ctx.close();
});

// Each test starts with nothing due and its own view of the calls; the real clock never matters.
let mark = 0;
beforeEach(async () => {
  now = new Date();
  await ctx.query(
    sql`UPDATE notifications SET status = 'skipped', finished_at = now() WHERE status IN ('pending', 'sending')`,
  );
  // Whoever held the lease in the last test lets go of it.
  await ctx.query(sql`UPDATE notification_sender SET paused_until = NULL, lease_until = '-infinity'`);
  mark = fake.calls.length;
});
const sends = (): RecordedCall[] => fake.calls.slice(mark).filter((call) => call.method === "sendMessage");

/** Ticks until nothing is claimed, a second apart (each chat may get one per second). */
async function drain(from = sender): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const result = await from.tick();
    if (result.claimed === 0 && !result.pausedUntil) return;
    advance(1100);
  }
  throw new Error("the queue did not drain");
}

let nextId = 7_300_000_001;
async function user(options: { languageCode?: string } = {}) {
  const id = nextId++;
  await ctx.addUsers({ id });
  await ctx.query(
    sql`INSERT INTO telegram_chats (user_id, chat_id, language_code, reachable)
        VALUES (${id}, ${id + 1_000_000}, ${options.languageCode ?? null}, true)`,
  );
  return { id, chatId: id + 1_000_000 };
}
const send = (matchId: number, senderId: number, text: string) =>
  sendMessage(ctx.db, ctx.config.unlockThresholds, { matchId, senderId, text }, now);
const button = (call: RecordedCall) => call.body.reply_markup.inline_keyboard[0][0];
const statusOf = async (userId: number) =>
  (
    await ctx.query<{ status: string; reason: string | null }>(
      sql`SELECT status, reason FROM notifications WHERE user_id = ${userId} ORDER BY id`,
    )
  ).map((row) => row.status);

describe("what is sent", () => {
  test("every kind: its text and a web_app button opening PUBLIC_URL at that match", async () => {
    const a = await user();
    const b = await user();
    // user_a wrote 10 and user_b 9: b's next message makes the progress 20, level 1.
    const matchId = await ctx.addMatch(a.id, b.id, {
      ...conversation(19),
      expiresAt: new Date(now.getTime() + 3600_000),
    });
    await send(matchId, b.id, "crosses level one"); // a gets "1 new message" and "level 1"
    await ok(apiClient(ctx, b.id).api.mystery["request-secret-chat"].post({ match_id: matchId, duration_minutes: 15 }));
    await sweep(ctx.db, now); // expires within 2 h: both
    await drain();
    const toA = sends().filter((call) => call.body.chat_id === a.chatId);
    expect(toA.map((call) => call.body.text).sort()).toEqual(
      [en.newMessages(1), en.levelReached(1), en.secretChat, en.expiring].sort(),
    );
    expect(
      sends()
        .filter((call) => call.body.chat_id === b.chatId)
        .map((call) => call.body.text),
    ).toEqual([en.expiring]);
    for (const call of sends()) {
      expect(button(call)).toEqual({ text: en.openMatch, web_app: { url: `${PUBLIC_URL}#match=${matchId}` } });
    }
    expect(await statusOf(a.id)).toEqual(["sent", "sent", "sent", "sent"]);
  });

  test("a new match: the partner who did not ask is told", async () => {
    const caller = await user();
    const partner = await user();
    await ctx.query(sql`UPDATE users SET age = NULL, gender = NULL WHERE id NOT IN (${caller.id}, ${partner.id})`);
    let matchId: number;
    try {
      matchId = (await ok(apiClient(ctx, caller.id).api.mystery["find-match"].post({}))).match_id;
    } finally {
      await ctx.query(sql`UPDATE users SET age = 25, gender = 'female' WHERE age IS NULL`);
    }
    advance(1000); // the route stamped the match with the real time, a moment after `now`
    await drain();
    expect(sends().map((call) => [call.body.chat_id, call.body.text, button(call).web_app.url])).toEqual([
      [partner.chatId, en.newMatch, `${PUBLIC_URL}#match=${matchId}`],
    ]);
  });

  test("in the user's language: the one chosen, else their Telegram language_code, else English", async () => {
    const a = await user();
    const byCode = await user({ languageCode: "hi-IN" });
    const chosen = await user({ languageCode: "hi" });
    await ok(apiClient(ctx, chosen.id).api.mystery.settings.put({ language: "en" }));
    const byChoice = await user();
    await ok(apiClient(ctx, byChoice.id).api.mystery.settings.put({ language: "hi" }));
    for (const partner of [byCode, chosen, byChoice]) await send(await ctx.addMatch(a.id, partner.id), a.id, "hello");
    await drain();
    const textTo = (chatId: number) => sends().find((call) => call.body.chat_id === chatId)?.body;
    expect(textTo(byCode.chatId)).toMatchObject({ text: hi.newMessages(1) });
    expect(button({ body: textTo(byCode.chatId) } as RecordedCall).text).toBe(hi.openMatch);
    expect(textTo(chosen.chatId)).toMatchObject({ text: en.newMessages(1) });
    expect(textTo(byChoice.chatId)).toMatchObject({ text: hi.newMessages(1) });
  });
});

describe("coalescing and skipping", () => {
  test("messages: one notification per match per 15 minutes, counting what is unread then", async () => {
    const a = await user();
    const b = await user();
    const matchId = await ctx.addMatch(a.id, b.id);
    for (const text of ["one", "two", "three"]) await send(matchId, a.id, text);
    await drain();
    expect(sends().map((call) => call.body.text)).toEqual([en.newMessages(3)]);
    // Two more within the window: held until 15 minutes after the first, then told with all 5 unread.
    advance(60_000);
    await send(matchId, a.id, "four");
    await send(matchId, a.id, "five");
    await drain();
    expect(sends()).toHaveLength(1);
    expect(await statusOf(b.id)).toEqual(["sent", "pending"]);
    advance(15 * 60_000);
    await drain();
    expect(sends().map((call) => call.body.text)).toEqual([en.newMessages(3), en.newMessages(5)]);
  });

  test("messages read before the send are not told", async () => {
    const a = await user();
    const b = await user();
    const matchId = await ctx.addMatch(a.id, b.id);
    const stored = await send(matchId, a.id, "read at once");
    await ctx.query(
      sql`INSERT INTO read_markers (match_id, user_id, last_read_id, updated_at)
          VALUES (${matchId}, ${b.id}, ${stored.message.id}, now())`,
    );
    await drain();
    expect(sends()).toEqual([]);
    expect(await statusOf(b.id)).toEqual(["skipped"]);
  });

  test("a user with the chat open is not pinged (dropped, not kept for later)", async () => {
    const a = await user();
    const b = await user();
    const matchId = await ctx.addMatch(a.id, b.id);
    await ctx.realtime.presence.join(matchId, b.id);
    try {
      await send(matchId, a.id, "seen in the app");
      await drain();
    } finally {
      await ctx.realtime.presence.leave(matchId, b.id, now);
    }
    expect(sends()).toEqual([]);
    expect(
      (await ctx.query<{ reason: string }>(sql`SELECT reason FROM notifications WHERE user_id = ${b.id}`))[0]?.reason,
    ).toBe("online");
  });

  test("a user in the app on another match's chat is not pinged either: a socket anywhere counts", async () => {
    const a = await user();
    const b = await user();
    const c = await user();
    const matchId = await ctx.addMatch(a.id, b.id);
    const elsewhere = await ctx.addMatch(c.id, b.id);
    await ctx.realtime.presence.join(elsewhere, b.id);
    try {
      await send(matchId, a.id, "seen in the app's list");
      await drain();
    } finally {
      await ctx.realtime.presence.leave(elsewhere, b.id, now);
    }
    expect(sends()).toEqual([]);
    expect(
      (await ctx.query<{ reason: string }>(sql`SELECT reason FROM notifications WHERE user_id = ${b.id}`))[0]?.reason,
    ).toBe("online");
  });

  test("a kind turned off after the event is not sent; the match ending drops what it had pending", async () => {
    const a = await user();
    const b = await user();
    const matchId = await ctx.addMatch(a.id, b.id);
    await send(matchId, a.id, "hello");
    await ok(apiClient(ctx, b.id).api.mystery.settings.put({ notifications: { messages: false } }));
    const c = await user();
    const ended = await ctx.addMatch(a.id, c.id);
    await send(ended, a.id, "hello");
    await ctx.query(sql`UPDATE matches SET is_active = false, end_reason = 'unmatched' WHERE id = ${ended}`);
    await drain();
    expect(sends()).toEqual([]);
    const reasons = await ctx.query<{ reason: string }>(
      sql`SELECT reason FROM notifications WHERE user_id IN (${b.id}, ${c.id}) ORDER BY user_id`,
    );
    expect(reasons.map((row) => row.reason)).toEqual(["turned off", "match closed"]);
  });
});

describe("delivery", () => {
  test("a 429 pauses all sending for retry_after, then everything goes out", async () => {
    const a = await user();
    const b = await user();
    const c = await user();
    await send(await ctx.addMatch(a.id, b.id), a.id, "to b");
    fake.next("sendMessage", { tooManyRequests: 7 });
    const first = await sender.tick();
    expect(first.pausedUntil?.getTime()).toBe(now.getTime() + 7000);
    // While paused, not even someone else's notification goes out.
    await send(await ctx.addMatch(a.id, c.id), a.id, "to c");
    advance(6000);
    expect((await sender.tick()).claimed).toBe(0);
    expect(sends()).toHaveLength(1);
    advance(1000);
    await drain();
    expect(
      sends()
        .map((call) => call.body.chat_id)
        .sort(),
    ).toEqual([b.chatId, b.chatId, c.chatId].sort());
    expect(await statusOf(b.id)).toEqual(["sent"]);
  });

  test("a 403 marks the chat unreachable and drops everything pending for that user", async () => {
    const a = await user();
    const b = await user();
    const one = await ctx.addMatch(a.id, b.id);
    const other = await user();
    const two = await ctx.addMatch(other.id, b.id);
    await send(one, a.id, "first");
    await send(two, other.id, "second");
    fake.next("sendMessage", { blocked: true });
    await drain();
    expect(sends()).toHaveLength(1);
    expect(await statusOf(b.id)).toEqual(["dropped", "dropped"]);
    const [chat] = await ctx.query<{ reachable: boolean }>(
      sql`SELECT reachable FROM telegram_chats WHERE user_id = ${b.id}`,
    );
    expect(chat?.reachable).toBe(false);
    // Later events write nothing for them.
    await send(one, a.id, "third");
    expect(await statusOf(b.id)).toEqual(["dropped", "dropped"]);
  });

  test("a 500 or no answer is retried with backoff; after 24 hours it is given up", async () => {
    const a = await user();
    const b = await user();
    await send(await ctx.addMatch(a.id, b.id), a.id, "retried");
    fake.next("sendMessage", { error: 500, description: "Internal Server Error" });
    fake.next("sendMessage", { status: 502, text: "<html>bad gateway</html>" });
    expect((await sender.tick()).retried).toBe(1);
    advance(1100);
    expect((await sender.tick()).claimed).toBe(0); // not yet: the first retry waits 5 s
    advance(4000);
    expect((await sender.tick()).retried).toBe(1);
    advance(10_000);
    expect((await sender.tick()).sent).toBe(1);
    expect(sends()).toHaveLength(3);

    const c = await user();
    await send(await ctx.addMatch(a.id, c.id), a.id, "never answered well");
    for (let i = 0; i < 40 && (await statusOf(c.id))[0] === "pending"; i++) {
      fake.next("sendMessage", { error: 500, description: "Internal Server Error" });
      await sender.tick();
      fake.clear();
      advance(3600_000);
    }
    const [row] = await ctx.query<{ status: string; attempts: number; reason: string }>(
      sql`SELECT status, attempts, reason FROM notifications WHERE user_id = ${c.id}`,
    );
    expect(row).toMatchObject({ status: "failed", reason: "500 Internal Server Error" });
    // About 24 hours of hourly attempts (the clock moves an hour a tick).
    expect(row!.attempts).toBeGreaterThanOrEqual(23);
    expect(row!.attempts).toBeLessThanOrEqual(25);
    expect(GIVE_UP_MS).toBe(24 * 3600_000);
  });
});

describe("slow answers", () => {
  test("a sendMessage answered too late counts as a failure and is retried, not as sent", async () => {
    const a = await user();
    const b = await user();
    await send(await ctx.addMatch(a.id, b.id), a.id, "slow");
    const impatient = createNotificationSender({
      db: ctx.db,
      bot: createBotApi({ apiUrl: fake.url, token: BOT_TOKEN, timeoutMs: 100 }),
      presence: ctx.realtime.presence,
      publicUrl: PUBLIC_URL,
      maxPerSecond: 25,
      clock,
      holder: "test-sender",
    });
    fake.next("sendMessage", { delayMs: 400 });
    expect((await impatient.tick()).retried).toBe(1);
    const [row] = await ctx.query<{ status: string; reason: string }>(
      sql`SELECT status, reason FROM notifications WHERE user_id = ${b.id}`,
    );
    expect(row).toEqual({ status: "pending", reason: "no answer from the Bot API within 100 ms" });
    advance(5000);
    expect((await impatient.tick()).sent).toBe(1);
  });
});

describe("one sender, restarts", () => {
  test("only the lease holder sends; a stopped one hands over at once, and nothing is lost or sent twice", async () => {
    const a = await user();
    const recipients = [];
    for (let i = 0; i < 10; i++) recipients.push(await user());
    for (const r of recipients) await send(await ctx.addMatch(a.id, r.id), a.id, "queued");
    const first = newSender({ maxPerSecond: 3, holder: "first" });
    const second = newSender({ maxPerSecond: 3, holder: "second" });
    expect((await first.tick()).sent).toBe(3);
    expect((await second.tick()).leader).toBe(false);
    await first.stop();
    await drain(second);
    const chats = sends().map((call) => call.body.chat_id);
    expect(chats.sort()).toEqual(recipients.map((r) => r.chatId).sort());
    await second.stop();
  });

  test("a sender that dies during its call: its row is never sent again, the rest go out after its lease", async () => {
    const a = await user();
    const hung = await user();
    const next = await user();
    await send(await ctx.addMatch(a.id, hung.id), a.id, "in flight");
    const dying = newSender({ maxPerSecond: 1, holder: "dying" });
    fake.next("sendMessage", { hang: true });
    const before = fake.callsOf("sendMessage").length;
    const abandoned = dying.tick(); // never awaited before the takeover: the process is "dead"
    await fake.waitFor("sendMessage", before + 1);
    await send(await ctx.addMatch(a.id, next.id), a.id, "after the crash");
    const heir = newSender({ holder: "heir" });
    expect((await heir.tick()).leader).toBe(false);
    advance(Math.max(LEASE_MS, STALE_SENDING_MS) + 1000);
    await drain(heir);
    // Telegram answers the dead sender's call only now: it stays given up, not "sent" twice or retried.
    fake.release();
    await abandoned;
    await drain(heir);
    expect(sends().map((call) => call.body.chat_id)).toEqual([hung.chatId, next.chatId]);
    const [row] = await ctx.query<{ status: string; reason: string }>(
      sql`SELECT status, reason FROM notifications WHERE user_id = ${hung.id}`,
    );
    expect(row?.status).toBe("failed");
    await heir.stop();
  });

  test("at most TELEGRAM_MAX_PER_SECOND per second overall and one per second per chat", async () => {
    const a = await user();
    const many = [];
    for (let i = 0; i < 6; i++) many.push(await user());
    for (const r of many) await send(await ctx.addMatch(a.id, r.id), a.id, "x");
    const other = await user();
    const otherMatch = await ctx.addMatch(other.id, many[0]!.id);
    await send(otherMatch, other.id, "a second one for the first chat");
    const limited = newSender({ maxPerSecond: 4, holder: "test-sender" });
    expect((await limited.tick()).sent).toBe(4);
    advance(500);
    expect((await limited.tick()).claimed).toBe(0);
    advance(600);
    const secondRound = await limited.tick();
    expect(secondRound.sent).toBe(3);
    const perChat = new Map<number, number>();
    for (const call of sends()) perChat.set(call.body.chat_id, (perChat.get(call.body.chat_id) ?? 0) + 1);
    expect(perChat.get(many[0]!.chatId)).toBe(2);
  });
});

describe("privacy and metrics", () => {
  test("attack: no recorded call carries the partner's id, name, bio, city or words", async () => {
    const victim = await user();
    const partnerId = nextId++;
    await ctx.addUsers({ id: partnerId, bio: "Bio-Sesquipedalian-77", city: "Zyxwvutsville" });
    await ctx.query(
      sql`INSERT INTO telegram_chats (user_id, chat_id, reachable) VALUES (${partnerId}, ${partnerId + 1_000_000}, true)`,
    );
    // The partner's Telegram name reaches the server with their /start; it must go nowhere else.
    const name = "Quetzalcoatl-Firstname";
    // The victim is user_a (10 messages), the partner user_b (9): the partner's next one opens level 1.
    const matchId = await ctx.addMatch(victim.id, partnerId, { ...conversation(19) });
    await send(matchId, partnerId, "secret words: hippopotamus-42");
    await ok(
      apiClient(ctx, partnerId).api.mystery["request-secret-chat"].post({ match_id: matchId, duration_minutes: 15 }),
    );
    await send(matchId, partnerId, "more secret words: rhinoceros-43");
    await ctx.query(
      sql`UPDATE matches SET expires_at = ${new Date(now.getTime() + 3600_000).toISOString()}::timestamptz WHERE id = ${matchId}`,
    );
    await sweep(ctx.db, now);
    await drain();
    advance(16 * 60_000);
    await drain();
    const toVictim = sends().filter((call) => call.body.chat_id === victim.chatId);
    expect(toVictim.length).toBeGreaterThanOrEqual(4);
    // Nothing to anyone names the partner; nothing to the victim even names the partner's chat.
    expect(JSON.stringify(toVictim)).not.toContain(String(partnerId + 1_000_000));
    const everything = JSON.stringify(fake.calls);
    for (const secret of [
      String(partnerId),
      name,
      "Bio-Sesquipedalian-77",
      "Zyxwvutsville",
      "hippopotamus",
      "rhinoceros",
    ]) {
      expect(everything).not.toContain(secret);
    }
  });

  test("/metrics: sent, failed, pending and the age of the oldest due notification", async () => {
    const a = await user();
    const b = await user();
    const measured = newSender({ holder: "test-sender" });
    await send(await ctx.addMatch(a.id, b.id), a.id, "counted");
    const app = createApp({
      db: ctx.db,
      config: ctx.config,
      realtime: ctx.realtime,
      activity: ctx.activity,
      metrics: measured.metrics,
    });
    const scrape = async () => {
      const text = await (await app.handle(new Request("http://localhost/metrics"))).text();
      return (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
    };
    advance(30_000);
    fake.next("sendMessage", { error: 500, description: "Internal Server Error" });
    await measured.tick();
    let read = await scrape();
    expect(read("mystery_match_notifications_pending")).toBe(1);
    expect(read("mystery_match_notifications_oldest_pending_seconds")).toBe(30);
    expect(read("mystery_match_notifications_send_errors_total")).toBe(1);
    advance(10_000);
    await measured.tick();
    advance(10_000);
    await measured.tick();
    read = await scrape();
    expect(read("mystery_match_notifications_sent_total")).toBe(1);
    expect(read("mystery_match_notifications_pending")).toBe(0);
    expect(read("mystery_match_notifications_oldest_pending_seconds")).toBe(0);
    expect(read("mystery_match_notifications_failed_total")).toBe(0);
  });
});
