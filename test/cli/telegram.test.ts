// `telegram set-webhook` and `telegram info` as real processes (bun src/main.ts) against the fake Bot API server.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BOT_TOKEN } from "../helpers/app";
import { finished } from "../helpers/child";
import { type FakeTelegram, startFakeTelegram } from "../helpers/fake-telegram";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const SECRET = "cli-webhook-secret_0123456789";

let fake: FakeTelegram;
let cwd: string;
beforeAll(() => {
  fake = startFakeTelegram(BOT_TOKEN);
  cwd = mkdtempSync(join(tmpdir(), "mm-telegram-cli-"));
});
afterAll(async () => {
  await fake.stop();
  rmSync(cwd, { recursive: true, force: true });
});

/** Runs the command with only these settings (and PATH), in an empty directory. */
async function run(args: string[], env: Record<string, string>) {
  const child = Bun.spawn(["bun", MAIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return finished(child);
}

const configured = () => ({
  TELEGRAM_BOT_TOKEN: BOT_TOKEN,
  TELEGRAM_API_URL: fake.url,
  TELEGRAM_WEBHOOK_SECRET: SECRET,
  PUBLIC_URL: "https://mm.example/app/",
});

describe("telegram set-webhook", () => {
  test("calls setWebhook with PUBLIC_URL/api/telegram/webhook, the secret and the update types handled", async () => {
    const { stdout, stderr, code } = await run(["telegram", "set-webhook"], configured());
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout.trim()).toBe(
      "webhook set: https://mm.example/app/api/telegram/webhook (updates: message, my_chat_member, pre_checkout_query)",
    );
    const [call] = fake.callsOf("setWebhook").slice(-1);
    expect(call).toEqual({
      method: "setWebhook",
      token: BOT_TOKEN,
      body: {
        url: "https://mm.example/app/api/telegram/webhook",
        secret_token: SECRET,
        allowed_updates: ["message", "my_chat_member", "pre_checkout_query"],
        drop_pending_updates: false,
      },
    });
    // No JWT secret or database files: these commands read only their own settings.
    expect(readdirSync(cwd)).toEqual([]);
  });

  test.each([
    ["TELEGRAM_BOT_TOKEN", "config error: TELEGRAM_BOT_TOKEN is not set: the bot's token from BotFather"],
    [
      "PUBLIC_URL",
      "config error: PUBLIC_URL is not set: the page's public https address, where Telegram sends updates",
    ],
    [
      "TELEGRAM_WEBHOOK_SECRET",
      "config error: TELEGRAM_WEBHOOK_SECRET is not set: the secret Telegram sends with every update",
    ],
  ])("without %s: one line naming it, exit 1, no call", async (missing, line) => {
    const before = fake.calls.length;
    const env: Record<string, string> = configured();
    delete env[missing];
    const { stdout, stderr, code } = await run(["telegram", "set-webhook"], env);
    expect({ code, stdout, stderr: stderr.trim() }).toEqual({ code: 1, stdout: "", stderr: line });
    expect(fake.calls.length).toBe(before);
  });

  test("an http PUBLIC_URL is refused by its rule", async () => {
    const { stderr, code } = await run(["telegram", "set-webhook"], {
      ...configured(),
      PUBLIC_URL: "http://mm.example",
    });
    expect({ code, stderr: stderr.trim() }).toEqual({
      code: 1,
      stderr: 'config error: PUBLIC_URL must start with https://, got "http://"',
    });
  });

  test("a refusal from Telegram is one line with its code, never the token", async () => {
    fake.next("setWebhook", {
      error: 400,
      description: "Bad Request: bad webhook: HTTPS url must be provided for webhook",
    });
    const failed = await run(["telegram", "set-webhook"], configured());
    expect({ code: failed.code, stderr: failed.stderr.trim() }).toEqual({
      code: 1,
      stderr: "telegram: setWebhook failed: 400 Bad Request: bad webhook: HTTPS url must be provided for webhook",
    });
    const wrongToken = await run(["telegram", "set-webhook"], {
      ...configured(),
      TELEGRAM_BOT_TOKEN: "42:not-the-token",
    });
    expect({ code: wrongToken.code, stderr: wrongToken.stderr.trim() }).toEqual({
      code: 1,
      stderr: "telegram: setWebhook failed: 401 Unauthorized",
    });
    const down = await run(["telegram", "info"], { ...configured(), TELEGRAM_API_URL: "http://127.0.0.1:1" });
    expect(down.code).toBe(1);
    expect(down.stderr).toStartWith("telegram: getWebhookInfo failed: the Bot API is unreachable");
    expect(down.stderr + failed.stderr + wrongToken.stderr).not.toContain("not-the-token");
    expect(down.stderr).not.toContain(BOT_TOKEN);
  });
});

describe("telegram info", () => {
  test("prints getWebhookInfo", async () => {
    await run(["telegram", "set-webhook"], configured());
    const { stdout, code } = await run(["telegram", "info"], {
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_API_URL: fake.url,
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      url: "https://mm.example/app/api/telegram/webhook",
      has_custom_certificate: false,
      pending_update_count: 0,
      allowed_updates: ["message", "my_chat_member", "pre_checkout_query"],
    });
    expect(fake.callsOf("getWebhookInfo").at(-1)?.token).toBe(BOT_TOKEN);
  });

  test("without the token: one line, exit 1; an unknown subcommand is a usage error", async () => {
    const missing = await run(["telegram", "info"], { TELEGRAM_API_URL: fake.url });
    expect({ code: missing.code, stderr: missing.stderr.trim() }).toEqual({
      code: 1,
      stderr: "config error: TELEGRAM_BOT_TOKEN is not set: the bot's token from BotFather",
    });
    const unknown = await run(["telegram", "delete"], configured());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toStartWith('telegram: unknown subcommand "delete"');
  });
});
