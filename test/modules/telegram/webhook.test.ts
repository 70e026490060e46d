// POST /api/telegram/webhook on a real app and database, its replies sent to the fake Bot API server.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Update } from "@grammyjs/types";
import { sql } from "drizzle-orm";
import { createApp } from "../../../src/http/app";
import { BOT_TOKEN, createTestContext, type TestContext } from "../../helpers/app";
import { apiClient, ok } from "../../helpers/client";
import { type FakeTelegram, type RecordedCall, startFakeTelegram } from "../../helpers/fake-telegram";

const SECRET = "webhook-secret-for-the-tests_0123";
const PUBLIC_URL = "https://mm.example/app";
const PATH = "/api/telegram/webhook";

let fake: FakeTelegram;
let ctx: TestContext;
beforeAll(async () => {
  fake = startFakeTelegram(BOT_TOKEN);
  ctx = await createTestContext({ TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_API_URL: fake.url, PUBLIC_URL });
});
afterAll(async () => {
  await ctx.close();
  await fake.stop();
});

let nextUpdateId = 1000;
let nextUserId = 30_000_000;
const freshUser = () => nextUserId++;

interface From {
  id: number;
  language_code?: string;
  first_name?: string;
}

const person = (from: From) => ({ is_bot: false, first_name: "Someone", ...from });

/** A private-chat text message from `from`, as Telegram sends it. */
const textUpdate = (from: From, text: string, updateId = nextUpdateId++): Update =>
  ({
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: from.id, type: "private", first_name: from.first_name ?? "Someone" },
      from: person(from),
      text,
      ...(text.startsWith("/")
        ? { entities: [{ type: "bot_command", offset: 0, length: text.split(" ")[0]!.length }] }
        : {}),
    },
  }) as Update;

const memberUpdate = (from: From, status: "kicked" | "member", updateId = nextUpdateId++): Update =>
  ({
    update_id: updateId,
    my_chat_member: {
      chat: { id: from.id, type: "private", first_name: "Someone" },
      from: person(from),
      date: Math.floor(Date.now() / 1000),
      old_chat_member: {
        status: status === "kicked" ? "member" : "kicked",
        user: { id: 123456, is_bot: true, first_name: "MM" },
      },
      new_chat_member: {
        status,
        user: { id: 123456, is_bot: true, first_name: "MM" },
        ...(status === "kicked" ? { until_date: 0 } : {}),
      },
    },
  }) as Update;

const post = (body: unknown, headers: Record<string, string> = { "x-telegram-bot-api-secret-token": SECRET }) =>
  ctx.request("POST", PATH, { body, headers });

/** The sendMessage calls to this chat so far. */
const sentTo = (chatId: number): RecordedCall[] =>
  fake.callsOf("sendMessage").filter((call) => call.body.chat_id === chatId);

/** Waits until this chat got `count` messages. */
async function waitForSends(chatId: number, count = 1): Promise<RecordedCall[]> {
  const deadline = Date.now() + 5000;
  while (sentTo(chatId).length < count) {
    if (Date.now() > deadline) throw new Error(`chat ${chatId}: ${sentTo(chatId).length} of ${count} messages`);
    await fake.waitFor("sendMessage", fake.callsOf("sendMessage").length + 1, deadline - Date.now()).catch(() => {});
  }
  return sentTo(chatId);
}

/** Lets a reply that should not come have its chance: a later /start's reply arrives after it would have. */
async function settle(): Promise<void> {
  const marker = freshUser();
  expect((await post(textUpdate({ id: marker }, "/start"))).status).toBe(200);
  await waitForSends(marker);
}

const chatRow = async (userId: number) =>
  (
    await ctx.query<{ chat_id: number; language_code: string | null; reachable: boolean }>(
      sql`SELECT chat_id::float8 AS chat_id, language_code, reachable FROM telegram_chats WHERE user_id = ${userId}`,
    )
  )[0];

describe("the webhook's secret", () => {
  test("missing or wrong is 401, before the body is read; right is 200", async () => {
    const user = freshUser();
    expect((await post(textUpdate({ id: user }, "/start"), {})).status).toBe(401);
    const wrong = await post(textUpdate({ id: user }, "/start"), { "x-telegram-bot-api-secret-token": `${SECRET}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ success: false, error: "unauthorized" });
    expect((await post("{not json", { "x-telegram-bot-api-secret-token": "nope" })).status).toBe(401);
    expect(await chatRow(user)).toBeUndefined();
    const right = await post(textUpdate({ id: user }, "/start"));
    expect(right.status).toBe(200);
    expect(right.body).toEqual({ success: true });
    await waitForSends(user);
  });

  test("a malformed body with the right secret is 4xx, never 5xx", async () => {
    expect((await post("{not json")).status).toBe(400);
    expect((await post({ update_id: "1" })).status).toBe(422);
    expect((await post({ update_id: -1 })).status).toBe(422);
    expect((await post({})).status).toBe(422);
  });

  test("an update of a kind not handled, or from a group, is 200 and does nothing", async () => {
    const user = freshUser();
    expect((await post({ update_id: nextUpdateId++, edited_message: { text: "x" } })).status).toBe(200);
    const group = textUpdate({ id: user }, "/start") as any;
    group.message.chat = { id: -100123, type: "supergroup", title: "A group" };
    expect((await post(group)).status).toBe(200);
    expect((await post(textUpdate({ id: user }, "hello bot"))).status).toBe(200);
    await settle();
    expect(sentTo(user)).toEqual([]);
    expect(sentTo(-100123)).toEqual([]);
    expect(await chatRow(user)).toBeUndefined();
  });
});

describe("/start", () => {
  test("a welcome with a web_app button opening PUBLIC_URL; the user becomes reachable with their language", async () => {
    const user = freshUser();
    expect((await post(textUpdate({ id: user, language_code: "en" }, "/start"))).status).toBe(200);
    const [call] = await waitForSends(user);
    expect(call!.token).toBe(BOT_TOKEN);
    expect(call!.body.text).toStartWith("Welcome to Mystery Match!");
    expect(call!.body.reply_markup).toEqual({
      inline_keyboard: [[{ text: "Open Mystery Match", web_app: { url: PUBLIC_URL } }]],
    });
    expect(await chatRow(user)).toEqual({ chat_id: user, language_code: "en", reachable: true });
  });

  test("a Hindi user gets Hindi; the start payload m<match_id> opens that match", async () => {
    const user = freshUser();
    expect((await post(textUpdate({ id: user, language_code: "hi" }, "/start m42"))).status).toBe(200);
    const [call] = await waitForSends(user);
    expect(call!.body.text).toBe("आपका मैच आपका इंतज़ार कर रहा है। चैट खोलने के लिए नीचे दिया गया बटन दबाएँ।");
    expect(call!.body.reply_markup.inline_keyboard[0][0]).toEqual({
      text: "चैट खोलें",
      web_app: { url: `${PUBLIC_URL}#match=42` },
    });
    expect((await chatRow(user))?.language_code).toBe("hi");
  });

  test("the language chosen in the settings wins over Telegram's; a payload that is no match is a plain welcome", async () => {
    const user = freshUser();
    await ok(apiClient(ctx, user).api.mystery.settings.put({ language: "hi" }));
    expect((await post(textUpdate({ id: user, language_code: "en" }, "/start something-else"))).status).toBe(200);
    const [call] = await waitForSends(user);
    expect(call!.body.text).toStartWith("Mystery Match में आपका स्वागत है!");
    expect(call!.body.reply_markup.inline_keyboard[0][0].web_app.url).toBe(PUBLIC_URL);
  });
});

describe("/stop and my_chat_member", () => {
  test("/stop turns every notification off and says so", async () => {
    const user = freshUser();
    expect((await post(textUpdate({ id: user }, "/stop"))).status).toBe(200);
    const [call] = await waitForSends(user);
    expect(call!.body.text).toBe("Notifications are off. You can turn them back on in the app's settings.");
    const settings = await ok(apiClient(ctx, user).api.mystery.settings.get());
    expect(settings.notifications).toEqual({
      new_match: false,
      messages: false,
      unlocks: false,
      expiring: false,
      secret_chat: false,
    });
  });

  test("kicked makes the user unreachable, member reachable again; neither sends anything", async () => {
    const user = freshUser();
    expect((await post(textUpdate({ id: user, language_code: "hi" }, "/start"))).status).toBe(200);
    await waitForSends(user);
    expect((await post(memberUpdate({ id: user }, "kicked"))).status).toBe(200);
    expect(await chatRow(user)).toEqual({ chat_id: user, language_code: "hi", reachable: false });
    expect((await post(memberUpdate({ id: user }, "member"))).status).toBe(200);
    expect(await chatRow(user)).toEqual({ chat_id: user, language_code: "hi", reachable: true });
    await waitForSends(user);
    await settle();
    expect(sentTo(user)).toHaveLength(1);
  });

  test("a reply answered 403 (the user blocked the bot meanwhile) makes the user unreachable", async () => {
    const user = freshUser();
    fake.next("sendMessage", { blocked: true });
    expect((await post(textUpdate({ id: user }, "/start"))).status).toBe(200);
    await waitForSends(user);
    const deadline = Date.now() + 5000;
    while ((await chatRow(user))?.reachable !== false && Date.now() < deadline) await Bun.sleep(10);
    expect(await chatRow(user)).toEqual({ chat_id: user, language_code: null, reachable: false });
  });

  test("a user who blocks the bot before any /start is stored unreachable", async () => {
    const user = freshUser();
    expect((await post(memberUpdate({ id: user }, "kicked"))).status).toBe(200);
    expect(await chatRow(user)).toEqual({ chat_id: user, language_code: null, reachable: false });
  });
});

describe("an update_id is handled once", () => {
  test("a repeated update is answered 200 and ignored", async () => {
    const user = freshUser();
    const update = textUpdate({ id: user }, "/start");
    expect((await post(update)).status).toBe(200);
    expect((await post(update)).status).toBe(200);
    await waitForSends(user);
    await settle();
    expect(sentTo(user)).toHaveLength(1);
  });

  test("the same update delivered 10 times at once is handled once", async () => {
    const user = freshUser();
    const update = textUpdate({ id: user }, "/start");
    const replies = await Promise.all(Array.from({ length: 10 }, () => post(update)));
    expect(replies.map((reply) => reply.status)).toEqual(Array(10).fill(200));
    // The winner's reply is sent after its commit, which may come after a later update's: wait for it, then
    // for a marker, so that a second reply (the bug) would have arrived too.
    await waitForSends(user);
    await settle();
    expect(sentTo(user)).toHaveLength(1);
    const [row] = await ctx.query<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM telegram_updates WHERE update_id = ${update.update_id}`,
    );
    expect(row!.n).toBe(1);
  });

  test("after a restart (a new app on the same database) a repeated update is still ignored", async () => {
    const user = freshUser();
    const update = textUpdate({ id: user }, "/start");
    expect((await post(update)).status).toBe(200);
    await waitForSends(user);
    const restarted = createApp({ db: ctx.db, config: ctx.config, realtime: ctx.realtime, activity: ctx.activity });
    const again = await restarted.handle(
      new Request(`http://localhost${PATH}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
        body: JSON.stringify(update),
      }),
    );
    expect(again.status).toBe(200);
    await waitForSends(user);
    await settle();
    expect(sentTo(user)).toHaveLength(1);
  });
});

describe("privacy", () => {
  test("no call to the Bot API carries another user's id, name or message text", async () => {
    const [alice, bob] = [freshUser(), freshUser()];
    await ctx.addUsers({ id: alice, bio: "alice-bio-secret" }, { id: bob, bio: "bob-bio-secret" });
    const matchId = await ctx.addMatch(alice, bob);
    await ctx.query(
      sql`INSERT INTO messages (match_id, sender_id, text, seq, created_at) VALUES (${matchId}, ${bob}, 'bob-says-a-secret', 1, now())`,
    );
    const before = fake.calls.length;
    expect((await post(textUpdate({ id: bob, first_name: "Bobby-Name" }, "/start"))).status).toBe(200);
    expect((await post(textUpdate({ id: alice, first_name: "Alice-Name" }, `/start m${matchId}`))).status).toBe(200);
    await waitForSends(alice);
    await waitForSends(bob);
    const calls = fake.calls.slice(before);
    for (const call of calls) {
      const text = JSON.stringify(call.body);
      const self = call.body.chat_id as number;
      const other = self === alice ? bob : alice;
      expect(text).not.toContain(String(other));
      for (const secret of ["alice-bio-secret", "bob-bio-secret", "bob-says-a-secret", "Bobby-Name", "Alice-Name"]) {
        expect(text).not.toContain(secret);
      }
    }
    expect(calls.map((call) => call.body.chat_id).sort()).toEqual([alice, bob].sort());
  });
});

describe("without the bot token or the secret", () => {
  test("the webhook is absent: 404 as any unknown path, and not in the OpenAPI document", async () => {
    const setups: Record<string, string>[] = [
      { TELEGRAM_API_URL: fake.url },
      { TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_BOT_TOKEN: "" },
    ];
    for (const env of setups) {
      const off = await createTestContext(env);
      try {
        const reply = await off.request("POST", PATH, {
          body: textUpdate({ id: freshUser() }, "/start"),
          headers: { "x-telegram-bot-api-secret-token": SECRET },
        });
        expect(reply.status).toBe(404);
        expect(reply.body).toMatchObject({ success: false, error: "not_found" });
        const spec = await off.request("GET", "/swagger/json");
        expect(Object.keys(spec.body.paths)).not.toContain(PATH);
      } finally {
        await off.close();
      }
    }
    const spec = await ctx.request("GET", "/swagger/json");
    expect(Object.keys(spec.body.paths)).toContain(PATH);
  });
});
