// The Bot API client against the fake Bot API server over real HTTP: each way a call ends is its own outcome.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createBotApi, describeFailure } from "../../../src/modules/telegram/bot-api";
import { BOT_TOKEN } from "../../helpers/app";
import { type FakeTelegram, startFakeTelegram } from "../../helpers/fake-telegram";

let fake: FakeTelegram;
beforeAll(() => {
  fake = startFakeTelegram(BOT_TOKEN);
});
afterAll(() => fake.stop());

const api = () => createBotApi({ apiUrl: fake.url, token: BOT_TOKEN, timeoutMs: 2000 });

describe("the Bot API client", () => {
  test("a call posts its JSON body to /bot<token>/<method> and gives the typed result", async () => {
    const outcome = await api().call("sendMessage", { chat_id: 42, text: "hello" });
    expect(outcome.kind).toBe("ok");
    if (outcome.kind === "ok") expect(outcome.result.text).toBe("hello");
    expect(fake.callsOf("sendMessage").at(-1)).toEqual({
      method: "sendMessage",
      token: BOT_TOKEN,
      body: { chat_id: 42, text: "hello" },
    });
    const me = await api().call("getMe", {});
    expect(me).toMatchObject({ kind: "ok", result: { is_bot: true, id: 123456 } });
  });

  test("429 is rate_limited with retry_after", async () => {
    fake.next("sendMessage", { tooManyRequests: 17 });
    const outcome = await api().call("sendMessage", { chat_id: 42, text: "x" });
    expect(outcome).toEqual({
      kind: "rate_limited",
      retryAfterSeconds: 17,
      description: "Too Many Requests: retry after 17",
    });
  });

  test("403 is blocked: the user blocked the bot", async () => {
    fake.next("sendMessage", { blocked: true });
    expect(await api().call("sendMessage", { chat_id: 42, text: "x" })).toEqual({
      kind: "blocked",
      description: "Forbidden: bot was blocked by the user",
    });
  });

  test("another ok:false is rejected with its code", async () => {
    fake.next("sendMessage", { error: 400, description: "Bad Request: chat not found" });
    expect(await api().call("sendMessage", { chat_id: 42, text: "x" })).toEqual({
      kind: "rejected",
      errorCode: 400,
      description: "Bad Request: chat not found",
    });
  });

  test("a wrong token is rejected 401, and the token is in no outcome", async () => {
    const wrong = createBotApi({ apiUrl: fake.url, token: "999:wrong-token" });
    const outcome = await wrong.call("getMe", {});
    expect(outcome).toEqual({ kind: "rejected", errorCode: 401, description: "Unauthorized" });
  });

  test("a reply not in the Bot API's shape is unavailable", async () => {
    fake.next("sendMessage", { status: 502, text: "<html>Bad Gateway</html>" });
    expect(await api().call("sendMessage", { chat_id: 42, text: "x" })).toEqual({
      kind: "unavailable",
      description: "HTTP 502 without a Bot API reply",
    });
  });

  test("no answer within the limit is timeout", async () => {
    fake.next("sendMessage", { hang: true });
    const started = performance.now();
    const outcome = await api().call("sendMessage", { chat_id: 42, text: "x" }, { timeoutMs: 300 });
    expect(outcome).toEqual({ kind: "timeout", timeoutMs: 300 });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  test("a server that is not there is unavailable, and the message never holds the token", async () => {
    const closed = startFakeTelegram(BOT_TOKEN);
    const url = closed.url;
    await closed.stop();
    const outcome = await createBotApi({ apiUrl: url, token: BOT_TOKEN }).call("getMe", {});
    expect(outcome.kind).toBe("unavailable");
    if (outcome.kind !== "ok") expect(describeFailure(outcome)).not.toContain(BOT_TOKEN);
    expect(JSON.stringify(outcome)).not.toContain(BOT_TOKEN);
  });
});
