// The profile's "Who you'd like to meet" and the search that waits: in Chromium at phone size.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import type { Browser } from "playwright-core";
import { createTestContext, type TestContext } from "../helpers/app";
import { accessibilityProblems, HAVE_CHROMIUM, launch, phoneSignedIn, screenshot } from "./browser";

const WAIT = { timeout: 10_000 };

describe.skipIf(!HAVE_CHROMIUM)("matching on the page", () => {
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

  const phone = (userId: number) => phoneSignedIn(browser, base, userId, WAIT);

  const poolRows = (userId: number) =>
    ctx.query(sql`SELECT 1 FROM match_pool WHERE user_id = ${userId} AND match_id IS NULL`);
  async function inPool(userId: number): Promise<void> {
    while ((await poolRows(userId)).length === 0) await Bun.sleep(10);
  }

  test("the profile form keeps whom you'd like to meet", async () => {
    const { page, errors } = await phone(6001);
    const form = page.locator("#profile-form");
    await form.getByLabel("Gender").selectOption("female");
    await form.getByLabel("Age", { exact: true }).fill("28");
    // Everyone is the default.
    for (const name of ["Women", "Men", "Other"]) {
      expect(await form.getByLabel(name, { exact: true }).isChecked()).toBe(true);
    }
    await form.getByLabel("Men", { exact: true }).uncheck();
    await form.getByLabel("Youngest").fill("40");
    await form.getByLabel("Oldest").fill("30");
    await form.getByRole("button", { name: "Save profile" }).click();
    await form.getByText("can't be above the oldest").waitFor(WAIT);
    await form.getByLabel("Youngest").fill("25");
    await form.getByRole("button", { name: "Save profile" }).click();
    await form.getByText("Saved.").waitFor(WAIT);
    const [row] = await ctx.query<{ looking_for: string[]; age_min: number; age_max: number }>(
      sql`SELECT looking_for, age_min, age_max FROM users WHERE id = 6001`,
    );
    expect(row).toEqual({ looking_for: ["female", "other"], age_min: 25, age_max: 30 });
    await screenshot(page, "matching-01-preferences");
    expect(await accessibilityProblems(page)).toEqual([]);
    // Shown again after a reload.
    await page.reload();
    await page.locator("#profile-box summary").click();
    expect(await form.getByLabel("Men", { exact: true }).isChecked()).toBe(false);
    expect(await form.getByLabel("Youngest").inputValue()).toBe("25");
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  test("Find a match searches for up to 20 s and pairs with whoever searches meanwhile", async () => {
    await ctx.addUsers({ id: 6002, age: 30 }, { id: 6003, age: 30, lastActiveAt: null });
    await ctx.db.execute(sql`UPDATE users SET ban_until = now() + interval '1 day' WHERE id NOT IN (6002, 6003)`);
    const { page, errors } = await phone(6002);
    await page.getByRole("button", { name: "Find a match" }).click();
    await page.getByText("Searching…").waitFor(WAIT);
    await inPool(6002);
    await screenshot(page, "matching-02-searching");
    expect(await accessibilityProblems(page)).toEqual([]);
    // Someone else searches now (through the API, as another client would).
    const reply = await fetch(`${base}/api/mystery/find-match`, {
      method: "POST",
      headers: { authorization: `Bearer ${ctx.token(6003)}`, "content-type": "application/json" },
      body: JSON.stringify({ wait_seconds: 5 }),
    });
    expect(reply.status).toBe(200);
    await page.getByText("It's a match! Say hello.").waitFor(WAIT);
    expect(await page.getByText("Searching…").isVisible()).toBe(false);
    await screenshot(page, "matching-03-paired");
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  test("Cancel ends the search: out of the pool, no match used", async () => {
    await ctx.addUsers({ id: 6004, age: 30 });
    await ctx.db.execute(sql`UPDATE users SET ban_until = now() + interval '1 day' WHERE id <> 6004`);
    const { page, errors } = await phone(6004);
    await page.getByRole("button", { name: "Find a match" }).click();
    await inPool(6004);
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.getByText("Search cancelled.").waitFor(WAIT);
    await page.getByRole("button", { name: "Find a match" }).waitFor(WAIT);
    while ((await ctx.query(sql`SELECT 1 FROM match_pool WHERE user_id = 6004`)).length > 0) await Bun.sleep(10);
    expect(await ctx.query(sql`SELECT 1 FROM daily_match_counts WHERE user_id = 6004 AND count > 0`)).toEqual([]);
    await screenshot(page, "matching-04-cancelled");
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);
});
