// The page's "Notifications" card in Chromium at phone size, and a bot button's #match=<id> landing on that match.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { createTestContext, type TestContext } from "../helpers/app";
import { apiClient, ok } from "../helpers/client";
import {
  ARTIFACTS,
  accessibilityProblems,
  demoSignIn,
  HAVE_CHROMIUM,
  launch,
  type Person,
  person,
  screenshot,
} from "./browser";

const WAIT = { timeout: 10_000 };
const SETUP_MS = 120_000;

const signIn = (page: Page, base: string, userId: number) => demoSignIn(page, base, userId, WAIT);

describe.skipIf(!HAVE_CHROMIUM)("notification settings and bot links in Chromium", () => {
  let ctx: TestContext;
  let base: string;
  let browser: Browser;
  let me: Person;
  const userId = 62_000_001;
  const partnerId = 62_000_002;

  beforeAll(async () => {
    ctx = await createTestContext({ DEMO: "1" });
    base = ctx.listen().http;
    browser = await launch();
    me = await person(browser);
    await me.page.setViewportSize({ width: 390, height: 844 });
    await ctx.addUsers({ id: userId }, { id: partnerId, bio: "likes kites" });
  }, SETUP_MS);

  afterAll(async () => {
    await browser?.close();
    await ctx?.close();
  });

  test("the card shows the settings, saves each change at once, and keeps it after a reload", async () => {
    const { page } = me;
    await signIn(page, base, userId);
    const card = page.locator("#settings-box");
    await card.locator("summary").click();
    // The switches are enabled once the stored settings are shown.
    await card.locator("#notify-messages:enabled").waitFor(WAIT);
    const messages = card.getByLabel(/New messages/);
    await expect(messages.isChecked()).resolves.toBe(true);
    for (const name of [/New matches/, /Levels unlocked/, /Expiring matches/, /Secret-chat requests/]) {
      await expect(card.getByLabel(name).isChecked()).resolves.toBe(true);
    }
    await expect(card.getByLabel("Language of the bot").inputValue()).resolves.toBe("en");

    await messages.uncheck();
    await card.getByText("Saved.").waitFor(WAIT);
    await card.getByLabel("Language of the bot").selectOption("hi");
    await card.getByText("Saved.").waitFor(WAIT);
    expect(await ok(apiClient(ctx, userId).api.mystery.settings.get())).toEqual({
      success: true,
      notifications: { new_match: true, messages: false, unlocks: true, expiring: true, secret_chat: true },
      language: "hi",
    });
    await card.scrollIntoViewIfNeeded();
    await screenshot(page, "settings-panel-390x844");
    await card.screenshot({ path: `${ARTIFACTS}settings-card-390.png` });
    expect(await accessibilityProblems(page)).toEqual([]);

    await page.reload();
    await page.getByText(`You are user ${userId}`).waitFor(WAIT);
    await page.locator("#settings-box summary").click();
    await page.locator("#notify-messages:enabled").waitFor(WAIT);
    await expect(
      page
        .locator("#settings-box")
        .getByLabel(/New messages/)
        .isChecked(),
    ).resolves.toBe(false);
    await expect(page.locator("#settings-box").getByLabel("Language of the bot").inputValue()).resolves.toBe("hi");
    expect(me.errors).toEqual([]);
  });

  test("a failed save puts the switch back and says why", async () => {
    const { page } = me;
    await page.route("**/api/mystery/settings", (route) =>
      route.request().method() === "PUT"
        ? route.fulfill({
            status: 503,
            contentType: "application/json",
            body: JSON.stringify({ success: false, error: "unavailable", message: "Try again later" }),
          })
        : route.continue(),
    );
    try {
      const box = page.locator("#settings-box").getByLabel(/Levels unlocked/);
      await expect(box.isChecked()).resolves.toBe(true);
      // click, not uncheck: the refusal can put the switch back before Playwright looks at it again.
      await box.click();
      await page.locator("#settings-box .error").filter({ hasText: /./ }).waitFor(WAIT);
      await expect(box.isChecked()).resolves.toBe(true);
    } finally {
      await page.unroute("**/api/mystery/settings");
    }
  });

  test("opened at PUBLIC_URL#match=<id> (a notification's button), the page lands on that chat", async () => {
    const { page } = me;
    const matchId = await ctx.addMatch(userId, partnerId);
    await page.goto("about:blank");
    // Telegram adds its launch data to the fragment after the button's own.
    await page.goto(`${base}/#match=${matchId}&tgWebAppVersion=8.0`);
    // At phone size the chat is its own screen: the list (and its top bar) is hidden once it opens.
    await page.locator("#whoami", { hasText: `You are user ${userId}` }).waitFor({ state: "attached", ...WAIT });
    await page.getByRole("textbox", { name: "Message" }).waitFor(WAIT);
    await screenshot(page, "landing-on-match-390x844");
    await expect(page.locator("#chat").isVisible()).resolves.toBe(true);
    expect(me.errors).toEqual([]);
  });
});
