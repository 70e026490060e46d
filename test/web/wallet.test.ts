// Coins and Premium on the page in Chromium at phone size: the wallet card, the shop, paying inside Telegram
// (a stand-in WebApp whose openInvoice the test completes through the real webhook) and outside it (a link).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Update } from "@grammyjs/types";
import { sql } from "drizzle-orm";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { signInitData } from "../../src/modules/auth/telegram";
import { ADMIN_TOKEN, BOT_TOKEN, createTestContext, type TestContext } from "../helpers/app";
import { clientWith, ok } from "../helpers/client";
import { type FakeTelegram, startFakeTelegram } from "../helpers/fake-telegram";
import { accessibilityProblems, demoSignIn, HAVE_CHROMIUM, launch, screenshot } from "./browser";

const WAIT = { timeout: 10_000 };
const SETUP_MS = 120_000;
const SECRET = "wallet-page-webhook-secret_0123";
const PHONE = { width: 390, height: 844 };
const admin = (ctx: TestContext) => clientWith(ctx, { authorization: `Bearer ${ADMIN_TOKEN}` });

describe.skipIf(!HAVE_CHROMIUM)("coins and Premium on the page", () => {
  let fake: FakeTelegram;
  let ctx: TestContext;
  let base: string;
  let browser: Browser;
  let nextUpdate = 90_000;

  beforeAll(async () => {
    fake = startFakeTelegram(BOT_TOKEN);
    ctx = await createTestContext({ DEMO: "1", TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_API_URL: fake.url });
    base = ctx.listen().http;
    browser = await launch();
  }, SETUP_MS);

  afterAll(async () => {
    await browser?.close();
    await ctx?.close();
    await fake?.stop();
  });

  /** Telegram's side of paying `link`: the checkout, then the successful_payment, through the real webhook. */
  async function telegramPays(link: string, userId: number): Promise<void> {
    const invoice = fake.invoice(link);
    const post = (update: unknown) =>
      fetch(`${base}/api/telegram/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
        body: JSON.stringify(update),
      }).then((response) => expect(response.status).toBe(200));
    const from = { id: userId, is_bot: false, first_name: "Ana" };
    const amount = invoice.prices[0].amount;
    await post({
      update_id: nextUpdate++,
      pre_checkout_query: {
        id: `q${nextUpdate}`,
        from,
        currency: "XTR",
        total_amount: amount,
        invoice_payload: invoice.payload,
      },
    });
    expect(fake.callsOf("answerPreCheckoutQuery").at(-1)!.body.ok).toBe(true);
    const payment: Update = {
      update_id: nextUpdate++,
      message: {
        message_id: 1,
        date: Math.floor(Date.now() / 1000),
        chat: { id: userId, type: "private", first_name: "Ana" },
        from,
        successful_payment: {
          currency: "XTR",
          total_amount: amount,
          invoice_payload: invoice.payload,
          telegram_payment_charge_id: fake.pay(link, userId),
          provider_payment_charge_id: "",
        },
      },
    } as Update;
    await post(payment);
  }

  /** A phone-sized page opened as a Mini App: real signed init data, and a stand-in WebApp with openInvoice. */
  async function miniApp(userId: number): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const initData = signInitData(BOT_TOKEN, {
      user: JSON.stringify({ id: userId, first_name: "Ana" }),
      auth_date: String(Math.floor(Date.now() / 1000)),
    });
    const context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await context.addInitScript((data: string) => {
      const state = window as unknown as { invoices: string[]; finish?: (status: string) => void };
      state.invoices = [];
      (window as unknown as { Telegram: unknown }).Telegram = {
        WebApp: {
          initData: data,
          initDataUnsafe: {},
          ready() {},
          expand() {},
          onEvent() {},
          openInvoice(url: string, callback: (status: string) => void) {
            state.invoices.push(url);
            state.finish = callback;
          },
        },
      };
    }, initData);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${base}/#tgWebAppData=${encodeURIComponent(initData)}`);
    await page.getByText(`You are user ${userId}`).waitFor(WAIT);
    return { context, page, errors };
  }

  const wallet = (page: Page) => page.locator('[data-panel="wallet"]');

  test("inside Telegram: Get coins opens the invoice with openInvoice; once paid, the balance and history show it", async () => {
    const userId = 7_001;
    await ctx.addUsers({ id: userId });
    const { context, page, errors } = await miniApp(userId);
    await wallet(page).getByText("You have 0 coins.").waitFor(WAIT);
    await screenshot(page, "wallet-01-card");

    await wallet(page).getByRole("button", { name: "Get coins" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText("550 coins").waitFor(WAIT);
    await screenshot(page, "wallet-02-shop");
    expect(await accessibilityProblems(page)).toEqual([]);
    await dialog.getByText("550 coins").click();
    await dialog.getByRole("button", { name: "Pay with Stars" }).click();
    await page.waitForFunction(() => (window as unknown as { invoices: string[] }).invoices.length === 1, null, WAIT);
    const link = await page.evaluate(() => (window as unknown as { invoices: string[] }).invoices[0]!);
    expect(fake.invoice(link)).toMatchObject({ currency: "XTR", prices: [{ amount: 250 }] });

    await telegramPays(link, userId);
    await page.evaluate(() => (window as unknown as { finish: (status: string) => void }).finish("paid"));
    await wallet(page).getByText("You have 550 coins.").waitFor(WAIT);
    await wallet(page).getByText("Coin history").click();
    await wallet(page).getByText("Bought with Telegram Stars").waitFor(WAIT);
    // The profile (in its closed box) was loaded again too.
    await page.locator("#account", { hasText: "550 coins." }).waitFor({ state: "attached", ...WAIT });
    await screenshot(page, "wallet-03-paid");
    expect(errors).toEqual([]);
    await context.close();
  });

  test("inside Telegram: Get Premium is the 30-day subscription; the daily-limit message offers it", async () => {
    const userId = 7_002;
    await ctx.addUsers({ id: userId });
    await ctx.query(
      // The day's free matches are used up.
      sql`INSERT INTO daily_match_counts (user_id, day, count) VALUES (${userId}, ${new Date().toISOString().slice(0, 10)}, 3)`,
    );
    const { context, page, errors } = await miniApp(userId);
    await page.getByRole("button", { name: "Find a match" }).click();
    const offer = page.locator("#find-error").getByRole("button", { name: "Get Premium" });
    await offer.waitFor(WAIT);
    await screenshot(page, "wallet-04-daily-limit");
    await offer.click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText("250 Telegram Stars for 30 days, renewed monthly.").waitFor(WAIT);
    await screenshot(page, "wallet-05-premium");
    await dialog.getByRole("button", { name: "Pay 250 Stars" }).click();
    await page.waitForFunction(() => (window as unknown as { invoices: string[] }).invoices.length === 1, null, WAIT);
    const link = await page.evaluate(() => (window as unknown as { invoices: string[] }).invoices[0]!);
    expect(fake.invoice(link)).toMatchObject({ subscription_period: 2592000, prices: [{ amount: 250 }] });
    await telegramPays(link, userId);
    await page.evaluate(() => (window as unknown as { finish: (status: string) => void }).finish("paid"));
    await wallet(page)
      .getByText(/Premium until/)
      .waitFor(WAIT);
    await page.locator("#account", { hasText: "Premium member." }).waitFor({ state: "attached", ...WAIT });
    // Premium already: no second subscription is sold.
    await wallet(page).getByRole("button", { name: "You're Premium" }).click();
    await page
      .getByRole("dialog")
      .getByText(/^Premium runs until/)
      .waitFor(WAIT);
    await page.getByRole("dialog").getByRole("button", { name: "OK" }).click();
    expect(await page.evaluate(() => (window as unknown as { invoices: string[] }).invoices.length)).toBe(1);
    expect(errors).toEqual([]);
    await context.close();
  });

  test("outside Telegram: the invoice is a link to open in Telegram; not enough coins offers Get coins", async () => {
    const userId = 7_003;
    const partner = 7_004;
    await ctx.addUsers({ id: userId }, { id: partner });
    const matchId = await ctx.addMatch(userId, partner);
    // In the dark theme, to look at it too.
    const context = await browser.newContext({
      viewport: PHONE,
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      colorScheme: "dark",
    });
    const page = await context.newPage();
    await demoSignIn(page, base, userId, WAIT);

    // Extend with no coins: the dialog says so and offers coins; so does the refusal.
    await page.locator(`button.match[data-match="${matchId}"]`).click();
    await page.locator("button.head-main").click();
    await page.getByRole("button", { name: "Extend +24 h" }).click();
    const extend = page.getByRole("dialog");
    await extend.getByText("It costs 50 coins; you have 0 coins. That's not enough yet.").waitFor(WAIT);
    await extend.getByRole("button", { name: "Get coins" }).waitFor(WAIT);
    await extend.getByRole("button", { name: "Extend for 50 coins" }).click();
    const action = page.locator(".toast").getByRole("button", { name: "Get coins" });
    await action.waitFor(WAIT);
    await screenshot(page, "wallet-06-not-enough-coins");
    await action.click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("button", { name: "Pay with Stars" }).click();
    const link = dialog.getByRole("link", { name: "Open the invoice in Telegram" });
    await link.waitFor(WAIT);
    const href = await link.getAttribute("href");
    expect(href).toMatch(/^https:\/\/t\.me\/\$/);
    expect(fake.invoice(href!)).toMatchObject({ prices: [{ amount: 50 }] });
    await screenshot(page, "wallet-07-link");
    await telegramPays(href!, userId);
    await dialog.getByRole("button", { name: "I've paid" }).click();
    // Still on the chat screen: a toast says what arrived; the wallet on the list screen shows it too.
    await page.locator(".toast", { hasText: "Thank you! You have 100 coins now." }).waitFor(WAIT);
    await wallet(page)
      .getByText("You have 100 coins.")
      .waitFor({ state: "attached", ...WAIT });

    // The Extend dialog's own Get coins (the balance suffices now, so it is gone; take the coins away again).
    await ok(admin(ctx).api.admin.users({ user_id: userId }).coins.post({ amount: -100 }));
    await page.reload();
    await page.locator(`button.match[data-match="${matchId}"]`).click();
    await page.locator("button.head-main").click();
    await page.getByRole("button", { name: "Extend +24 h" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Get coins" }).click();
    await page.getByRole("dialog").getByText("Choose a pack").waitFor(WAIT);
    await screenshot(page, "wallet-08-shop-from-extend");
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
    await context.close();
  });
});
