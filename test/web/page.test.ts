// The web page at / in a real browser: two people (two browser contexts) find each other, chat live,
// see typing, read receipts and unlocks, use the secret chat, extend, report, unmatch and block.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { matches, reports, users } from "../../src/db/schema";
import { PhotoLinks } from "../../src/modules/photos/token";
import { createTestContext, JWT_SECRET, type TestContext } from "../helpers/app";
import { conversation } from "../helpers/conversation";
import { facePixels, pngOf } from "../helpers/images";
import {
  accessibilityProblems,
  demoSignIn,
  HAVE_CHROMIUM,
  launch,
  type Person,
  person,
  photoPicker,
  screenshot,
} from "./browser";

const WAIT = { timeout: 10_000 };
/** A fresh database (on PGlite the first one in a run also builds the template) and a browser. */
const SETUP_MS = 120_000;

const signIn = (page: Page, base: string, userId: number) => demoSignIn(page, base, userId, WAIT);

async function saveProfile(
  page: Page,
  profile: { gender: string; age: number; city: string; bio: string; interests: string; photo: string },
  /** A photo file picked before saving: uploaded right after the profile is saved. */
  upload?: { name: string; mimeType: string; buffer: Buffer },
): Promise<void> {
  const form = page.locator("#profile-form");
  await form.getByLabel("Gender").selectOption(profile.gender);
  await form.getByLabel("Age").fill(String(profile.age));
  await form.getByLabel("City").fill(profile.city);
  await form.getByLabel("About you").fill(profile.bio);
  await form.getByLabel("Interests").fill(profile.interests);
  await form.getByLabel("Photo link").fill(profile.photo);
  if (upload) {
    await (await photoPicker(page, WAIT)).setInputFiles(upload);
  }
  await form.getByRole("button", { name: "Save profile" }).click();
  await form.getByText("Saved.", { exact: true }).waitFor(WAIT);
  if (upload) await form.getByText("Photo saved. Your match sees it blurred until level 4.").waitFor(WAIT);
}

/**
 * What a photo link was minted for (the test knows the server's secret): the level of the
 * rendition it serves, and whether it is the viewer's own photo (match 0). Null for other URLs.
 */
function photoLinkOf(url: string): { level: number; own: boolean } | null {
  const token = /\/api\/mystery\/photos\/([A-Za-z0-9_-]+)/.exec(url)?.[1];
  const grant = token ? new PhotoLinks(JWT_SECRET).open(token) : null;
  return grant ? { level: grant.level, own: grant.matchId === 0 } : null;
}

/** Types like a person, then sends with Enter; waits until the server acknowledged it. */
async function say(page: Page, text: string): Promise<void> {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.pressSequentially(text, { delay: 5 });
  await box.press("Enter");
  await page.locator(".msg.me:not(.pending)", { hasText: text }).last().waitFor(WAIT);
}

async function sees(page: Page, text: string): Promise<void> {
  await page.locator(".msg.them", { hasText: text }).waitFor(WAIT);
}

const card = (page: Page) => page.locator(".partner");
/** The chat's banner (the list repeats why a match ended, so a page-wide text search would find two). */
const banner = (page: Page, text: string) => page.locator(".banner", { hasText: text }).waitFor(WAIT);

/** Sets the match's message count as if many messages had been exchanged: keeps the test short. */
/** As if the two had already written `count` messages, taking turns. */
async function seedCount(ctx: TestContext, matchId: number, count: number): Promise<void> {
  await ctx.db.update(matches).set(conversation(count)).where(eq(matches.id, matchId));
}

async function confirmDialog(page: Page, button: string): Promise<void> {
  const dialog = page.getByRole("dialog");
  await dialog.waitFor(WAIT);
  await dialog.getByRole("button", { name: button, exact: true }).click();
  await dialog.waitFor({ state: "hidden", ...WAIT });
}

describe.skipIf(!HAVE_CHROMIUM)("the web page in Chromium", () => {
  let ctx: TestContext;
  let base: string;
  let browser: Browser;
  let ana: Person;
  let ben: Person;

  beforeAll(async () => {
    ctx = await createTestContext({ DEMO: "1" });
    base = ctx.listen().http;
    browser = await launch();
  }, SETUP_MS);

  afterAll(async () => {
    await browser?.close();
    await ctx?.close();
  });

  test("/ serves the page and its bundled assets from this server only", async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const html = await response.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      expect(asset.startsWith("/")).toBe(true);
      expect((await fetch(`${base}${asset}`)).status).toBe(200);
    }
  });

  test("two people find each other, chat live, unlock each other's profile, and one blocks the other", async () => {
    ana = await person(browser);
    ben = await person(browser);
    const a = ana.page;
    const b = ben.page;

    // Sign in and fill in the profiles.
    await a.goto(base);
    await a.getByLabel("Your user id").waitFor(WAIT);
    await screenshot(a, "01-sign-in");
    expect(await accessibilityProblems(a)).toEqual([]);
    await signIn(a, base, 1001);
    await a.getByText("Tell us a little about yourself").waitFor(WAIT);
    await saveProfile(a, {
      gender: "female",
      age: 29,
      city: "Lisbon",
      bio: "Surfer, reader, bad at karaoke.",
      interests: "surfing, novels, karaoke",
      photo: "https://photos.mystery.test/330.svg",
    });
    await screenshot(a, "02-profile-saved");
    await signIn(b, base, 1002);
    // Ben also uploads a photo (picked before his profile exists: it goes up right after the save).
    const benPhoto = await pngOf(facePixels(900, 1200));
    await saveProfile(
      b,
      {
        gender: "male",
        age: 31,
        city: "Porto",
        bio: "I cook too much pasta.",
        interests: "cooking, cycling, jazz",
        photo: "https://photos.mystery.test/200.svg",
      },
      { name: "ben.png", mimeType: "image/png", buffer: Buffer.from(benPhoto) },
    );
    await b.locator("img.own-photo").waitFor(WAIT);
    await screenshot(b, "02b-profile-photo");
    // Everything Ana's page asks for from now on, to check it never fetched more than the level showed.
    const requested: string[] = [];
    a.on("request", (request) => requested.push(request.url()));
    const beyond = (level: number) =>
      requested.filter((url) => {
        const link = photoLinkOf(url);
        return url.includes("photos.mystery.test/200") || (link !== null && !link.own && link.level > level);
      });

    // Ana finds a match: Ben, the only other person here.
    await a.getByText("3 of 3 free matches left today.").waitFor(WAIT);
    await a.getByRole("button", { name: "Find a match" }).click();
    await a.getByText("It's a match! Say hello.").waitFor(WAIT);
    await a.getByText("2 of 3 free matches left today.").waitFor(WAIT);
    await a.locator(".chat-head .head-name").waitFor(WAIT);
    const [match] = await ctx.db.select().from(matches);
    expect(match).toBeDefined();
    const matchId = match!.id;

    // Ben asks too: nobody new is left; after searching for 20 s he is told so in plain words; his list
    // shows Ana's match.
    await b.getByRole("button", { name: "Find a match" }).click();
    await b.getByText("Searching…").waitFor(WAIT);
    await b.getByText("Nobody new fits right now.").waitFor({ timeout: 30_000 });
    await screenshot(b, "03-no-one-new");
    await b.locator(`button.match[data-match="${matchId}"]`).click();

    // Both are in the chat and see each other online.
    await a.locator(".head-status").getByText("Online").waitFor(WAIT);
    await b.locator(".head-status").getByText("Online").waitFor(WAIT);
    await card(a).getByText("Level 0/4").waitFor(WAIT);
    expect(await card(a).getByText("locked until level 1").count()).toBe(2);

    // Typing shows on the other side, then the message arrives live; both ways.
    await a.getByRole("textbox", { name: "Message" }).pressSequentially("Hi there", { delay: 20 });
    await b.getByText("Your match is typing…").waitFor(WAIT);
    await screenshot(b, "04-typing");
    await a.getByRole("textbox", { name: "Message" }).press("Enter");
    await sees(b, "Hi there");
    await b.getByText("Your match is typing…").waitFor({ state: "hidden", ...WAIT });
    await say(b, "Hey! Who are you?");
    await sees(a, "Hey! Who are you?");

    // Read receipts: each side read the other's message while looking at the chat.
    await a.locator('.msg.me[data-status="read"]', { hasText: "Hi there" }).waitFor(WAIT);
    await b.locator('.msg.me[data-status="read"]', { hasText: "Hey! Who are you?" }).waitFor(WAIT);
    await screenshot(a, "05-chat-live");

    // Level 1 at 20 messages: the card shows age and city.
    await seedCount(ctx, matchId, 18);
    await say(a, "Nineteen messages already?");
    await say(b, "Time flies. Twenty!");
    await card(a).getByText("Level 1/4").waitFor(WAIT);
    await card(a).getByText("Porto").waitFor(WAIT);
    await card(a).getByText("31", { exact: true }).waitFor(WAIT);
    await card(b).getByText("Lisbon").waitFor(WAIT);
    await a.getByText("Level 1 unlocked: you can now see age and city.").waitFor(WAIT);
    await a.getByText("40 more messages to unlock a blurred photo.").waitFor(WAIT);
    await screenshot(a, "06-level-1");
    expect(await accessibilityProblems(a)).toEqual([]);

    // Level 2 at 60: a blurred photo.
    await seedCount(ctx, matchId, 58);
    await say(a, "Show me a picture?");
    await say(b, "Only a blurry one.");
    const photoA = card(a).locator("img.photo");
    await photoA.waitFor(WAIT);
    expect(await photoA.getAttribute("data-blur")).toBe("50");
    // The server's strong rendition (320 px on the long side), blurred there, not by CSS.
    await a.waitForFunction(() => (document.querySelector(".partner img.photo") as HTMLImageElement)?.complete);
    expect(await photoA.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([240, 320]);
    expect(photoLinkOf((await photoA.getAttribute("src"))!)).toEqual({ level: 2, own: false });
    await screenshot(a, "07-level-2-blurred-photo");

    // Level 3 at 100: the light rendition; still nothing clear, no external link.
    await seedCount(ctx, matchId, 98);
    await say(a, "A hundred soon.");
    await say(b, "A hundred!");
    await card(a).getByText("Level 3/4").waitFor(WAIT);
    await card(a).locator('img.photo[data-blur="25"]').waitFor(WAIT);
    await a.waitForFunction(() => (document.querySelector(".partner img.photo") as HTMLImageElement)?.complete);
    expect(await photoA.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(360);
    expect(beyond(3)).toEqual([]);
    expect(requested.some((url) => photoLinkOf(url)?.level === 2)).toBe(true);

    // Level 4 at 150: everything, the photo in the clear.
    await seedCount(ctx, matchId, 148);
    await say(a, "We talk a lot.");
    await say(b, "One hundred and fifty!");
    await card(a).getByText("1002", { exact: true }).waitFor(WAIT);
    expect(await photoA.getAttribute("data-blur")).toBe("0");
    await a.waitForFunction(() => (document.querySelector(".partner img.photo") as HTMLImageElement)?.complete);
    expect(await photoA.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(900);
    expect(photoLinkOf((await photoA.getAttribute("src"))!)).toEqual({ level: 4, own: false });
    await card(a).getByText("cooking, cycling, jazz").waitFor(WAIT);
    await card(a).getByText("Everything is unlocked.").waitFor(WAIT);
    await screenshot(a, "08-level-4-clear-photo");

    // Ben blocks Ana: both chats close; Ana is told neutrally.
    await b.getByRole("button", { name: "Block" }).click();
    await b.getByRole("dialog").getByText("you will never be matched with them again").waitFor(WAIT);
    await screenshot(b, "09-block-dialog");
    await confirmDialog(b, "Block");
    await banner(b, "You blocked this person.");
    await banner(a, "This chat has ended.");
    expect(await a.getByRole("textbox", { name: "Message" }).isDisabled()).toBe(true);
    expect(await b.getByRole("textbox", { name: "Message" }).isDisabled()).toBe(true);
    // The list keeps the match, saying it ended, until dismissed.
    await a.locator(`#match-list .ended [data-match="${matchId}"]`, { hasText: "This chat has ended." }).waitFor(WAIT);
    await screenshot(b, "10-blocked");
    await screenshot(a, "11-blocked-partner-view");
    const [row] = await ctx.db.select().from(matches).where(eq(matches.id, matchId));
    expect(row!.isActive).toBe(false);

    expect(ana.errors).toEqual([]);
    expect(ben.errors).toEqual([]);
    await ana.context.close();
    await ben.context.close();
  }, 180_000);

  test("secret chat with a countdown, extend, report and unmatch; unread counts in the list", async () => {
    await ctx.addUsers(
      { id: 2001, gender: "female", age: 26, city: "Madrid" },
      { id: 2002, gender: "other", age: 33, city: "Seville" },
    );
    const matchId = await ctx.addMatch(2001, 2002);
    const cleo = await person(browser);
    const dara = await person(browser);
    const c = cleo.page;
    const d = dara.page;
    await signIn(c, base, 2001);
    await signIn(d, base, 2002);

    // Dara is not looking at the chat: Cleo's messages show as unread in her list.
    await c.locator(`button.match[data-match="${matchId}"]`).click();
    await say(c, "Anyone there?");
    await say(c, "Hello?");
    await d.getByRole("button", { name: "Refresh the match list" }).click();
    await d.locator(`button.match[data-match="${matchId}"] .badge`, { hasText: "2" }).waitFor(WAIT);
    await d.locator(`[data-match="${matchId}"] .match-preview`, { hasText: "Hello?" }).waitFor(WAIT);
    await d.locator(`[data-match="${matchId}"] .match-meta`, { hasText: /47 h 5\d min left$/ }).waitFor(WAIT);
    await screenshot(d, "12-match-list-unread");

    // Cleo is already typing when Dara opens the chat: Dara sees it all the same.
    await c.getByRole("textbox", { name: "Message" }).pressSequentially("Still th", { delay: 20 });
    await d.locator(`button.match[data-match="${matchId}"]`).click();
    await sees(d, "Hello?");
    await d.getByText("Your match is typing…").waitFor(WAIT);
    await c.getByRole("textbox", { name: "Message" }).press("Enter");
    await sees(d, "Still th");

    // Extending costs coins Cleo does not have, then does.
    await c.getByRole("button", { name: "Extend +24 h" }).click();
    await c.getByRole("dialog").getByText("It costs 50 coins; you have 0 coins.").waitFor(WAIT);
    await confirmDialog(c, "Extend for 50 coins");
    await c.getByText("You don't have enough coins to extend this match.").waitFor(WAIT);
    await ctx.db.update(users).set({ coins: 120 }).where(eq(users.id, 2001));
    await c.getByRole("button", { name: "Sign out" }).click();
    await signIn(c, base, 2001);
    await c.locator(`button.match[data-match="${matchId}"]`).click();
    await c.getByRole("button", { name: "Extend +24 h" }).click();
    await c.getByRole("dialog").getByText("It costs 50 coins; you have 120 coins.").waitFor(WAIT);
    await confirmDialog(c, "Extend for 50 coins");
    await c.getByText("Extended by 24 hours for 50 coins.").waitFor(WAIT);
    await card(c)
      .getByText(/^7[01] h \d+ min left$/)
      .waitFor(WAIT);
    await d.getByText(/This match was extended/).waitFor(WAIT);

    // Secret chat: Cleo asks, Dara accepts, both see the countdown; its messages are marked.
    await c.getByRole("button", { name: "Secret chat" }).click();
    await c.getByRole("dialog").getByLabel("How long").selectOption("5");
    await confirmDialog(c, "Ask");
    await c.getByText("Waiting for your match to accept a 5-minute secret chat").waitFor(WAIT);
    await d.getByText("Your match asks for a 5-minute secret chat.").waitFor(WAIT);
    await screenshot(d, "13-secret-chat-request");
    await d.getByRole("button", { name: "Accept" }).click();
    await c.locator("[data-secret-countdown]", { hasText: /^[45]:\d\d$/ }).waitFor(WAIT);
    await d.locator("[data-secret-countdown]", { hasText: /^[45]:\d\d$/ }).waitFor(WAIT);
    await say(d, "This one disappears.");
    await c.locator(".msg.them.secret", { hasText: "This one disappears." }).waitFor(WAIT);
    // One's own secret messages look it too, with their countdown.
    await say(c, "So does mine.");
    await c
      .locator(".msg.me.secret", { hasText: "So does mine." })
      .getByText(/disappears in [45]:\d\d/)
      .waitFor(WAIT);
    await screenshot(c, "14-secret-chat");
    expect(await accessibilityProblems(c)).toEqual([]);

    // Dara reports the conversation.
    await d.getByRole("button", { name: "Report" }).click();
    await d.getByRole("dialog").getByLabel("Tell us what happened").fill("Testing the report form.");
    await confirmDialog(d, "Send report");
    await d.getByText("Thanks for telling us.").waitFor(WAIT);
    const filed = await ctx.db.select().from(reports);
    expect(filed).toHaveLength(1);
    expect(filed[0]).toMatchObject({ reporterId: 2002, reportedUserId: 2001, reason: "Testing the report form." });

    // Cleo unmatches: each is told in their own words.
    await c.getByRole("button", { name: "Unmatch" }).click();
    await confirmDialog(c, "End match");
    await banner(c, "You ended this match.");
    await banner(d, "Your match ended this chat.");
    await screenshot(d, "15-unmatched");

    expect(cleo.errors).toEqual([]);
    expect(dara.errors).toEqual([]);
    await cleo.context.close();
    await dara.context.close();
  }, 180_000);
});

describe.skipIf(!HAVE_CHROMIUM)("the web page on a server without the demo sign-in", () => {
  let ctx: TestContext;
  let browser: Browser;

  beforeAll(async () => {
    ctx = await createTestContext({ DEMO: "0" });
    browser = await launch();
  }, SETUP_MS);

  afterAll(async () => {
    await browser?.close();
    await ctx?.close();
  });

  test("a user id alone is refused; a pasted token signs in", async () => {
    const base = ctx.listen().http;
    const someone = await person(browser);
    const page = someone.page;
    await page.goto(base);
    await page.getByLabel("Your user id").fill("3001");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByText("This server has no demo sign-in").waitFor(WAIT);
    await page.getByLabel(/Bearer token/).fill("not-a-token");
    await page.getByRole("button", { name: "Use it" }).click();
    await page.getByText("Your sign-in didn't work or has expired.").waitFor(WAIT);
    await page.getByLabel(/Bearer token/).fill(ctx.token(3001));
    await page.getByRole("button", { name: "Use it" }).click();
    await page.getByText("You are user 3001").waitFor(WAIT);
    await screenshot(page, "16-token-sign-in");
    expect(someone.errors).toEqual([]);
  }, 60_000);
});
