// Signing in as a Mini App when Telegram's script cannot load (the init data and theme come from the
// URL's fragment, as Telegram passes them), and on a server with no bot token (the page says so).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { createTestContext, type TestContext } from "../helpers/app";
import { HAVE_CHROMIUM, launch, screenshot } from "./browser";
import { initDataFor, THEMES, telegramPerson } from "./telegram";

const WAIT = { timeout: 15_000 };

describe.skipIf(!HAVE_CHROMIUM)("Mini App sign-in", () => {
  let ctx: TestContext;
  let bare: TestContext;
  let browser: Browser;

  beforeAll(async () => {
    [ctx, bare] = await Promise.all([createTestContext(), createTestContext({ TELEGRAM_BOT_TOKEN: "" })]);
    browser = await launch();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await ctx?.close();
    await bare?.close();
  });

  test("without Telegram's script, the fragment's init data signs in and its theme applies", async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const asked: string[] = [];
    await context.route("https://telegram.org/**", (route) => {
      asked.push(route.request().url());
      return route.abort();
    });
    const page = await context.newPage();
    const fragment = new URLSearchParams({
      tgWebAppData: initDataFor(9101),
      tgWebAppVersion: "7.0",
      tgWebAppThemeParams: JSON.stringify(THEMES.dark),
    });
    await page.goto(`${ctx.listen().http}/#${fragment}`);
    await page.getByText("You are user 9101").waitFor(WAIT);
    expect(asked).toEqual(["https://telegram.org/js/telegram-web-app.js"]);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--bg").trim())).toBe(
      THEMES.dark.bg_color,
    );
    await context.close();
  }, 60_000);

  test("a server with no bot token says exactly that", async () => {
    const someone = await telegramPerson(browser, 9201, "light");
    await someone.page.goto(bare.listen().http);
    await someone.page.getByText("it has no bot token set up (TELEGRAM_BOT_TOKEN)").waitFor(WAIT);
    expect(await someone.page.getByText("didn't work or has expired").count()).toBe(0);
    await screenshot(someone.page, "32-telegram-no-bot-token-390x844");
    expect(someone.errors).toEqual([]);
    await someone.context.close();
  }, 60_000);
});
