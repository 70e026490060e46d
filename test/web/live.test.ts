// The list and the chat stay live over the open chat's socket: a new match arrives as an event (its
// toast comes only from the socket, never from a poll), another match ending shows in the list while
// the open chat goes on, and after the socket drops the chat catches up with since= (no gaps, no repeats).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { createTestContext, type TestContext } from "../helpers/app";
import { apiClient, ok } from "../helpers/client";
import { HAVE_CHROMIUM, launch, person } from "./browser";

const WAIT = { timeout: 15_000 };

describe.skipIf(!HAVE_CHROMIUM)("a live list and chat", () => {
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

  test("new_match and match_ended reach the list over the socket; a dropped socket catches up", async () => {
    const [eve, fred, gina] = [7501, 7502, 7503];
    await ctx.addUsers({ id: eve, gender: "female" }, { id: fred }, { id: gina });
    const first = await ctx.addMatch(eve, fred);
    const api = (as: number) => apiClient(ctx, as).api.mystery;
    // Gina never meets Fred: her only candidate is Eve.
    await ok(api(gina).block.post({ block_user_id: fred }));

    const someone = await person(browser);
    const page = someone.page;
    await page.goto(base);
    await page.getByLabel("Your user id").fill(String(eve));
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.locator(`button.match[data-match="${first}"]`).click();
    await page.getByRole("textbox", { name: "Message" }).waitFor(WAIT);
    await page.locator(".head-status", { hasText: "Level 0/4" }).waitFor(WAIT);

    // Gina finds Eve: the socket's new_match puts it in Eve's list.
    const found = await ok(api(gina)["find-match"].post({}));
    await page.getByText("You have a new match!").waitFor(WAIT);
    await page.locator(`button.match[data-match="${found.match_id}"]`).waitFor(WAIT);

    // Gina ends it: Eve's list says so, and the chat with Fred goes on.
    await ok(api(gina).unmatch.post({ match_id: found.match_id }));
    await page
      .locator(`#match-list li.ended [data-match="${found.match_id}"]`, { hasText: "Your match ended this chat." })
      .waitFor(WAIT);
    expect(await page.getByRole("textbox", { name: "Message" }).isEnabled()).toBe(true);

    // The socket drops; Fred writes meanwhile; the chat reconnects and shows each message once, in order.
    await ok(api(fred)["send-message"].post({ match_id: first, message_text: "before" }));
    await page.locator(".msg.them", { hasText: "before" }).waitFor(WAIT);
    ctx.realtime.local.closeAll(1012, "restarting");
    await page.getByText("Reconnecting…").waitFor(WAIT);
    await ok(api(fred)["send-message"].post({ match_id: first, message_text: "while away 1" }));
    await ok(api(fred)["send-message"].post({ match_id: first, message_text: "while away 2" }));
    await page.locator(".msg.them", { hasText: "while away 2" }).waitFor(WAIT);
    expect(await page.locator(".msg.them .text").allTextContents()).toEqual(["before", "while away 1", "while away 2"]);
    await page.getByRole("textbox", { name: "Message" }).fill("back again");
    await page.getByRole("textbox", { name: "Message" }).press("Enter");
    await page
      .locator('.msg.me[data-status="sent"], .msg.me[data-status="read"]', { hasText: "back again" })
      .waitFor(WAIT);

    expect(someone.errors).toEqual([]);
    await someone.context.close();
  }, 90_000);
});
