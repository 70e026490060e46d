// Quick lines typed in a row in the chat: every one is stored, and both sides show them all in the order sent.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { asc, eq } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { messages } from "../../src/db/schema";
import { createTestContext, type TestContext } from "../helpers/app";
import { HAVE_CHROMIUM, launch, person } from "./browser";

const WAIT = { timeout: 15_000 };
describe.skipIf(!HAVE_CHROMIUM)("a burst of quick lines", () => {
  let ctx: TestContext;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    ctx = await createTestContext({ DEMO: "1" });
    base = ctx.listen().http;
    browser = await launch();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await ctx?.close();
  });

  async function signIn(page: Page, userId: number): Promise<void> {
    await page.goto(base);
    await page.getByLabel("Your user id").fill(String(userId));
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.locator(`[data-match]`).first().waitFor(WAIT);
  }

  const shown = (page: Page, side: "me" | "them") =>
    page.locator(`.msg.${side} .text`).evaluateAll((nodes) => nodes.map((node) => node.textContent));

  test("fifteen quick lines typed in a row all arrive, in order, on both sides", async () => {
    await ctx.addUsers({ id: 5101, age: 30 }, { id: 5102, age: 31 });
    const matchId = await ctx.addMatch(5101, 5102);
    const [ana, ben] = [await person(browser), await person(browser)];
    await signIn(ana.page, 5101);
    await signIn(ben.page, 5102);
    await ana.page.locator(`[data-match="${matchId}"]`).click();
    await ben.page.locator(`[data-match="${matchId}"]`).click();
    const box = ana.page.getByRole("textbox", { name: "Message" });
    await box.waitFor(WAIT);
    const lines = Array.from({ length: 15 }, (_, i) => `line ${i + 1}`);
    for (const line of lines) {
      await box.fill(line);
      await box.press("Enter");
    }
    await ana.page.locator(".msg.me:not(.pending):not(.failed)", { hasText: "line 15" }).waitFor(WAIT);
    await ben.page.locator(".msg.them", { hasText: "line 15" }).waitFor(WAIT);
    await ana.page.waitForFunction(() => document.querySelectorAll(".msg.me.pending").length === 0, null, WAIT);
    const stored = await ctx.db
      .select({ text: messages.text })
      .from(messages)
      .where(eq(messages.matchId, matchId))
      .orderBy(asc(messages.id));
    expect(stored.map((row) => row.text)).toEqual(lines);
    expect(await shown(ana.page, "me")).toEqual(lines);
    expect(await shown(ben.page, "them")).toEqual(lines);
    expect(ana.errors).toEqual([]);
    expect(ben.errors).toEqual([]);
    await ana.context.close();
    await ben.context.close();
  }, 90_000);
});
