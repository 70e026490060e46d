// The page as a Telegram Mini App at phone sizes (390x844, and 390x500 as with the keyboard open), in
// Telegram's light and dark themes: it signs in by itself, finds a match, chats both ways with a
// burst of quick lines, keeps "Read" across a reload, goes back with Telegram's BackButton, and shows
// an unmatch in the other's list.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { createTestContext, type TestContext } from "../helpers/app";
import { accessibilityProblems, HAVE_CHROMIUM, launch, screenshot } from "./browser";
import { pressTelegramBack, THEMES, telegramCalls, telegramPerson } from "./telegram";

const WAIT = { timeout: 15_000 };
/** A device without a socket open hears of a new match from the list's poll (every 10 s). */
const POLL_WAIT = { timeout: 25_000 };

const box = (page: Page) => page.getByRole("textbox", { name: "Message" });

async function say(page: Page, text: string): Promise<void> {
  await box(page).fill(text);
  await box(page).press("Enter");
  await page.locator(".msg.me:not(.pending):not(.failed)", { hasText: text }).waitFor(WAIT);
}

/** Whether the element is entirely inside the viewport (nothing of it below the fold). */
async function inViewport(page: Page, selector: string): Promise<boolean> {
  return page.locator(selector).evaluate((element) => {
    const rect = element.getBoundingClientRect();
    return rect.top >= 0 && rect.bottom <= window.innerHeight && rect.height > 0;
  });
}

const rootVariable = (page: Page, name: string) =>
  page.evaluate((variable) => getComputedStyle(document.documentElement).getPropertyValue(variable).trim(), name);

describe.skipIf(!HAVE_CHROMIUM)("the Mini App inside Telegram", () => {
  let ctx: TestContext;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    ctx = await createTestContext();
    base = ctx.listen().http;
    browser = await launch();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await ctx?.close();
  });

  test("two people match and chat at phone size, in light and dark Telegram themes", async () => {
    const [anaId, benId] = [7001, 7002];
    await ctx.addUsers({ id: benId, gender: "male", age: 31, city: "Porto" });
    const ana = await telegramPerson(browser, anaId, "light");
    const ben = await telegramPerson(browser, benId, "dark", { width: 390, height: 500 });
    const [a, b] = [ana.page, ben.page];

    // Signed in by itself with the init data; ready() and expand(); Telegram's colours on the page.
    await a.goto(base);
    await a.getByText(`You are user ${anaId}`).waitFor(WAIT);
    expect(await telegramCalls(a)).toMatchObject({ ready: 1, expand: 1, back: false });
    expect(await rootVariable(a, "--bg")).toBe(THEMES.light.bg_color);
    expect(await a.evaluate(() => document.documentElement.dataset.theme)).toBe("light");
    await b.goto(base);
    await b.getByText(`You are user ${benId}`).waitFor(WAIT);
    expect(await rootVariable(b, "--bg")).toBe(THEMES.dark.bg_color);
    expect(await b.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");

    // A new user's form starts empty; finding a match first asks for the profile, which saving clears.
    const form = a.locator("#profile-form");
    expect(await form.getByLabel("Gender").inputValue()).toBe("");
    await a.getByRole("button", { name: "Find a match" }).click();
    await a.getByText("Fill in your profile first").waitFor(WAIT);
    await form.getByLabel("Gender").selectOption("female");
    await form.getByLabel("Age").fill("29");
    await form.getByLabel("City").fill("Lisbon");
    await form.getByRole("button", { name: "Save profile" }).click();
    await form.getByText("Saved.").waitFor(WAIT);
    expect(await a.getByText("Fill in your profile first").count()).toBe(0);
    await screenshot(a, "20-telegram-light-list-390x844");
    expect(await accessibilityProblems(a)).toEqual([]);

    // Ana finds Ben: her chat is its own screen, Telegram's BackButton shows, the composer is in view.
    await a.getByRole("button", { name: "Find a match" }).click();
    await a.locator(".chat-head .head-name").waitFor(WAIT);
    expect(await a.locator("#list-screen").isVisible()).toBe(false);
    expect((await telegramCalls(a)).back).toBe(true);
    expect(await inViewport(a, ".composer")).toBe(true);
    const name = await a.locator(".chat-head .head-name").textContent();

    // Ben (no socket open yet) sees the match in his list, under the same name, and opens it.
    const entry = b.locator("button.match", { hasText: name! });
    await entry.waitFor(POLL_WAIT);
    await screenshot(b, "21-telegram-dark-list-390x500");
    expect(await accessibilityProblems(b)).toEqual([]);
    await entry.click();
    // The header is compact; a tap shows the partner card, another hides it.
    const details = b.locator("#partner-details");
    expect(await details.isVisible()).toBe(false);
    await b.locator(".head-main").click();
    await details.getByText("locked until level 1").first().waitFor(WAIT);
    await screenshot(b, "22-telegram-dark-card-390x500");
    await b.locator(".head-main").click();
    expect(await details.isVisible()).toBe(false);

    // Both ways; a send taps the haptics.
    await say(a, "Hi from Lisbon");
    await b.locator(".msg.them", { hasText: "Hi from Lisbon" }).waitFor(WAIT);
    expect((await telegramCalls(a)).haptics).toContain("impact:light");
    // A burst of 15 quick lines from Ben, keyboard-sized screen: all arrive, in order.
    const lines = Array.from({ length: 15 }, (_, i) => `quick ${i + 1}`);
    for (const line of lines) {
      await box(b).fill(line);
      await box(b).press("Enter");
    }
    await a.locator(".msg.them", { hasText: "quick 15" }).waitFor(WAIT);
    expect(await a.locator(".msg.them .text").allTextContents()).toEqual(lines);
    await b.waitForFunction(() => document.querySelectorAll(".msg.me.pending, .msg.me.failed").length === 0);
    expect(await b.locator(".msg.me .text").allTextContents()).toEqual(lines);
    expect(await inViewport(b, ".composer")).toBe(true);
    expect(await inViewport(b, ".chat-head")).toBe(true);
    await screenshot(b, "23-telegram-dark-chat-390x500");
    expect(await accessibilityProblems(b)).toEqual([]);

    // Ben has read Ana's line; after a reload Ana still sees "Read" (partner_read_up_to).
    await a.locator('.msg.me[data-status="read"]', { hasText: "Hi from Lisbon" }).waitFor(WAIT);
    await screenshot(a, "24-telegram-light-chat-390x844");
    expect(await accessibilityProblems(a)).toEqual([]);
    await a.reload();
    await a.locator("button.match", { hasText: name! }).click();
    await a.locator('.msg.me[data-status="read"]', { hasText: "Hi from Lisbon" }).waitFor(WAIT);

    // Telegram's BackButton leads back to the list, which shows the last message; then it hides.
    await pressTelegramBack(a);
    await a.locator("#list-screen").waitFor(WAIT);
    expect((await telegramCalls(a)).back).toBe(false);
    await a.locator("button.match .match-preview", { hasText: "quick 15" }).waitFor(WAIT);

    // The keyboard opens on Ana's phone (Telegram reports a smaller viewport): header and composer stay in
    // view; Ben's closes. Each screen is looked at in the other's size too.
    await a.locator("button.match", { hasText: name! }).click();
    await a.setViewportSize({ width: 390, height: 500 });
    await a.waitForFunction(
      () => getComputedStyle(document.documentElement).getPropertyValue("--app-height") === "500px",
    );
    expect(await inViewport(a, ".composer")).toBe(true);
    expect(await inViewport(a, ".chat-head")).toBe(true);
    await screenshot(a, "26-telegram-light-chat-390x500");
    await b.setViewportSize({ width: 390, height: 844 });
    await b.waitForFunction(
      () => getComputedStyle(document.documentElement).getPropertyValue("--app-height") === "844px",
    );
    await screenshot(b, "27-telegram-dark-chat-390x844");
    expect(await accessibilityProblems(b)).toEqual([]);

    // Ana unmatches: Ben's chat says so, and his list keeps the match, saying why, until dismissed.
    await a.locator(".head-main").click();
    await a.getByRole("button", { name: "Unmatch" }).click();
    await a.getByRole("dialog").getByRole("button", { name: "End match" }).click();
    await b.locator(".banner", { hasText: "Your match ended this chat." }).waitFor(WAIT);
    await pressTelegramBack(b);
    const ended = b.locator("#match-list li.ended", { hasText: "Your match ended this chat." });
    await ended.waitFor(WAIT);
    await screenshot(b, "25-telegram-dark-ended-390x500");
    // It stays after a reload too (on this device), until dismissed.
    await b.reload();
    await ended.waitFor(WAIT);
    await ended.getByRole("button", { name: /Dismiss/ }).click();
    await b.getByText("No matches yet.").waitFor(WAIT);

    expect(ana.errors).toEqual([]);
    expect(ben.errors).toEqual([]);
    await ana.context.close();
    await ben.context.close();
  }, 180_000);
});
