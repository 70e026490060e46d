// The chat on a wide screen, outside Telegram (its own light and dark themes): a refused send shows
// "Retry" in its place and succeeds on retry with the same client_msg_id; older messages load on
// scrolling up without moving what is in view.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { asc, eq, sql } from "drizzle-orm";
import type { Browser, Locator, Page } from "playwright-core";
import { messages } from "../../src/db/schema";
import { createTestContext, ManualClock, type TestContext } from "../helpers/app";
import { accessibilityProblems, demoSignIn, HAVE_CHROMIUM, launch, screenshot } from "./browser";

const WAIT = { timeout: 15_000 };
const WIDE = { width: 1280, height: 800 };

async function open(
  browser: Browser,
  base: string,
  userId: number,
  scheme: "light" | "dark",
  /** Runs on each frame from the chat socket's server before the page gets it; false drops it. */
  fromServer?: (frame: string) => boolean,
): Promise<Page> {
  const context = await browser.newContext({ viewport: WIDE, colorScheme: scheme });
  if (fromServer) {
    await context.routeWebSocket(/\/api\/mystery\/ws\/chat\//, (page) => {
      const server = page.connectToServer();
      server.onMessage((frame) => {
        if (fromServer(String(frame))) page.send(frame);
      });
    });
  }
  const page = await context.newPage();
  page.on("pageerror", (error) => {
    throw error;
  });
  await demoSignIn(page, base, userId, WAIT);
  return page;
}

/** Types `text` into the chat's box, sends it, and waits for its bubble to say Sent. */
async function sendAndSettle(page: Page, box: Locator, text: string): Promise<void> {
  await box.fill(text);
  await box.press("Enter");
  await page.locator('.msg.me[data-status="sent"]', { hasText: text }).waitFor(WAIT);
}

/** Opens match `matchId`'s chat from the list; its message box, once shown. */
async function openChat(page: Page, matchId: number): Promise<Locator> {
  await page.locator(`button.match[data-match="${matchId}"]`).click();
  const box = page.getByRole("textbox", { name: "Message" });
  await box.waitFor(WAIT);
  return box;
}

describe.skipIf(!HAVE_CHROMIUM)("the chat on a wide screen", () => {
  // Three quick sends at once, then one a minute, on a clock the test moves.
  const clock = new ManualClock(Date.now());
  let ctx: TestContext;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    ctx = await createTestContext(
      { DEMO: "1", RATE_LIMIT_SENDS_BURST: "3", RATE_LIMIT_SENDS_PER_MINUTE: "1" },
      { clock: clock.now },
    );
    base = ctx.listen().http;
    browser = await launch();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await ctx?.close();
  });

  test("a refused send shows Retry, keeps its place, and goes through on retry", async () => {
    await ctx.addUsers({ id: 8101 }, { id: 8102 });
    const matchId = await ctx.addMatch(8101, 8102);
    const page = await open(browser, base, 8101, "light");
    const box = await openChat(page, matchId);
    for (const line of ["one", "two", "three", "four"]) {
      await box.fill(line);
      await box.press("Enter");
    }
    const failed = page.locator(".msg.me.failed", { hasText: "four" });
    await failed.getByText("Not sent: That's a bit fast").waitFor(WAIT);
    expect(await page.locator(".msg.me .text").allTextContents()).toEqual(["one", "two", "three", "four"]);
    await screenshot(page, "30-wide-light-send-failed-1280x800");
    expect(await accessibilityProblems(page)).toEqual([]);

    clock.advance(60_000);
    await failed.getByRole("button", { name: "Retry" }).click();
    await page.locator('.msg.me[data-status="sent"]', { hasText: "four" }).waitFor(WAIT);
    // The socket's copy of the retried message can arrive a moment before its ack settles the failed bubble.
    await page.locator(".msg.me.failed").waitFor({ ...WAIT, state: "detached" });
    expect(await page.locator(".msg.me.failed").count()).toBe(0);
    const stored = await ctx.db
      .select({ text: messages.text, clientMsgId: messages.clientMsgId })
      .from(messages)
      .where(eq(messages.matchId, matchId))
      .orderBy(asc(messages.id));
    expect(stored.map((row) => row.text)).toEqual(["one", "two", "three", "four"]);
    expect(new Set(stored.map((row) => row.clientMsgId)).size).toBe(4);
    await page.context().close();
  }, 60_000);

  test("a send whose ack is lost is settled by its own message coming back: one bubble, Sent, never failed", async () => {
    await ctx.addUsers({ id: 8301 }, { id: 8302 });
    const matchId = await ctx.addMatch(8301, 8302);
    clock.advance(60_000);
    let dropped = 0;
    const page = await open(browser, base, 8301, "light", (frame) => {
      const lost = JSON.parse(frame).type === "ack" && dropped === 0;
      if (lost) dropped++;
      return !lost;
    });
    const box = await openChat(page, matchId);
    await sendAndSettle(page, box, "the ack of this one is lost");
    expect(dropped).toBe(1);
    // The next send (its ack arrives) settles as before, and nothing was shown twice.
    await sendAndSettle(page, box, "and this one is acked");
    expect(await page.locator(".msg.me .text").allTextContents()).toEqual([
      "the ack of this one is lost",
      "and this one is acked",
    ]);
    expect(await page.locator(".msg.me.pending, .msg.me.failed").count()).toBe(0);
    await page.context().close();
  }, 60_000);

  test("a send that went over REST before the socket opened is not sent again over the socket", async () => {
    await ctx.addUsers({ id: 8401 }, { id: 8402 });
    const matchId = await ctx.addMatch(8401, 8402);
    clock.advance(60_000);
    const context = await browser.newContext({ viewport: WIDE });
    // The chat's socket waits until the send's REST request is on its way; that reply is held a moment
    // longer, so the socket's `connected` comes while the send is still waiting for it.
    let restSent!: () => void;
    const restOnItsWay = new Promise<void>((resolve) => {
      restSent = resolve;
    });
    const frames: string[] = [];
    await context.routeWebSocket(/\/api\/mystery\/ws\/chat\//, async (socket) => {
      await restOnItsWay;
      const server = socket.connectToServer();
      socket.onMessage((frame) => {
        frames.push(String(frame));
        server.send(frame);
      });
    });
    let restSends = 0;
    await context.route("**/api/mystery/send-message", async (route) => {
      restSends++;
      restSent();
      const response = await route.fetch();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await route.fulfill({ response });
    });
    const page = await context.newPage();
    await demoSignIn(page, base, 8401, WAIT);
    const box = await openChat(page, matchId);
    await sendAndSettle(page, box, "sent while the socket was not there");
    expect(restSends).toBe(1);
    expect(frames.filter((frame) => JSON.parse(frame).type === "message")).toEqual([]);
    await context.close();
  }, 60_000);

  test("scrolling up loads older pages and keeps the position; the dark theme of its own", async () => {
    await ctx.addUsers({ id: 8201 }, { id: 8202 });
    const matchId = await ctx.addMatch(8201, 8202, { messageCount: 120, messagesA: 60, messagesB: 60 });
    await ctx.db.execute(
      sql`INSERT INTO messages (match_id, sender_id, text, seq, created_at)
          SELECT ${matchId}, CASE WHEN i % 2 = 0 THEN 8201 ELSE 8202 END, 'message ' || i, i,
                 now() - interval '1 hour' + i * interval '1 second'
          FROM generate_series(1, 120) AS i`,
    );
    const page = await open(browser, base, 8201, "dark");
    expect(await page.evaluate(() => getComputedStyle(document.body).colorScheme)).toBe("dark");
    await page.locator(`button.match[data-match="${matchId}"]`).click();
    await page.locator(".msg .text", { hasText: "message 120" }).waitFor(WAIT);
    expect(await page.locator(".msg").count()).toBe(50);
    await page.getByText("Scroll up for earlier messages.").waitFor(WAIT);
    await screenshot(page, "31-wide-dark-chat-1280x800");
    expect(await accessibilityProblems(page)).toEqual([]);

    // Where "message 71" (the oldest shown) sits on screen before and after the older page arrives.
    const message = (n: number) => page.locator(".msg .text", { hasText: new RegExp(`^message ${n}$`) });
    const log = page.locator(".log");
    const before = await log.evaluate((element) => {
      element.scrollTop = 0;
      return [...element.querySelectorAll(".msg")][0]!.getBoundingClientRect().top;
    });
    await message(21).waitFor({ state: "attached", ...WAIT });
    const after = await message(71).evaluate((element) => element.closest(".msg")!.getBoundingClientRect().top);
    expect(Math.abs(after - before)).toBeLessThan(4);
    expect(await page.locator(".msg").count()).toBe(100);
    // Once more to the start: everything, once each, in order.
    await log.evaluate((element) => {
      element.scrollTop = 0;
    });
    await page.getByText("The start of your chat.").waitFor(WAIT);
    const texts = await page.locator(".msg .text").allTextContents();
    expect(texts).toEqual(Array.from({ length: 120 }, (_, i) => `message ${i + 1}`));
    await page.context().close();
  }, 60_000);
});
