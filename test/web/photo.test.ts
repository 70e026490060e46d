// Photos on the page at phone size (390x844): the profile form's upload with its preview and refusals, and the partner
// card's rendition with the BlurHash placeholder while it loads.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { PhotoLinks } from "../../src/modules/photos/token";
import { createTestContext, JWT_SECRET, type TestContext } from "../helpers/app";
import { apiClient, ok } from "../helpers/client";
import { facePixels, jpegOf } from "../helpers/images";
import {
  accessibilityProblems,
  demoSignIn,
  HAVE_CHROMIUM,
  launch,
  phoneSignedIn,
  photoPicker,
  screenshot,
} from "./browser";

const WAIT = { timeout: 10_000 };

describe.skipIf(!HAVE_CHROMIUM)("photos on the page", () => {
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

  test("upload from the profile form: a preview at once, the server's refusal in words, Remove", async () => {
    await ctx.addUsers({ id: 7001, gender: "female", age: 30 });
    const { page, errors } = await phone(7001);
    await page.locator("#profile-box summary").click();
    const form = page.locator("#profile-form");
    // The form takes input once the stored profile is shown (before, a file would wait for a save).
    const picker = await photoPicker(page, WAIT);

    // Not a photo: the server's 422 in plain words, and no preview stays.
    await picker.setInputFiles({ name: "notes.jpg", mimeType: "image/jpeg", buffer: Buffer.from("not a photo") });
    await form.getByText("That file isn't a photo we can use").waitFor(WAIT);
    expect(await form.locator("img.own-photo").isVisible()).toBe(false);

    const photo = await jpegOf(facePixels(1200, 1600), 85);
    await picker.setInputFiles({ name: "me.jpg", mimeType: "image/jpeg", buffer: Buffer.from(photo) });
    await form.getByText("Photo saved. Your match sees it blurred until level 4.").waitFor(WAIT);
    expect(await form.locator("img.own-photo").isVisible()).toBe(true);
    await screenshot(page, "30-photo-uploaded-390x844");
    expect(await accessibilityProblems(page)).toEqual([]);

    // After a reload the preview is the server's clear rendition, through the owner's own link.
    await page.reload();
    await page.getByText("You are user 7001").waitFor(WAIT);
    await page.locator("#profile-box summary").click();
    const own = form.locator("img.own-photo");
    await own.waitFor(WAIT);
    const token = /\/api\/mystery\/photos\/([A-Za-z0-9_-]+)$/.exec((await own.getAttribute("src"))!)?.[1];
    expect(new PhotoLinks(JWT_SECRET).open(token!)).toMatchObject({ viewerId: 7001, matchId: 0, level: 4 });

    await form.getByRole("button", { name: "Remove photo" }).click();
    await form.getByText("Photo removed.").waitFor(WAIT);
    expect(await own.isVisible()).toBe(false);
    expect((await ok(apiClient(ctx, 7001).api.mystery.profile.get())).profile.photo).toBeNull();
    expect(errors).toEqual([]);
  }, 60_000);

  test("the profile card opened before the stored profile arrives stays open, and its refusals can be read", async () => {
    await ctx.addUsers({ id: 7201, gender: "male", age: 41 });
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    // The stored profile is held until the person has opened the card.
    const held = Promise.withResolvers<void>();
    await page.route("**/api/mystery/profile", async (route) => {
      if (route.request().method() === "GET") await held.promise;
      await route.continue();
    });
    await demoSignIn(page, base, 7201, WAIT);
    await page.locator("#profile-box summary").click();
    held.resolve();
    const picker = await photoPicker(page, WAIT);
    expect(await page.locator("#profile-box").evaluate((box: HTMLDetailsElement) => box.open)).toBe(true);
    expect(await page.locator('#profile-form input[name="age"]').inputValue()).toBe("41");
    await picker.setInputFiles({ name: "notes.jpg", mimeType: "image/jpeg", buffer: Buffer.from("not a photo") });
    await page.locator("#profile-form").getByText("That file isn't a photo we can use").waitFor(WAIT);
    await context.close();
  }, 60_000);

  test("the partner card at level 2: the strong rendition, the BlurHash drawn until it arrives", async () => {
    await ctx.addUsers({ id: 7101, gender: "female", age: 27 }, { id: 7102, gender: "male", age: 33, city: "Goa" });
    await ok(
      apiClient(ctx, 7102).api.mystery.profile.photo.put({
        photo: new File([(await jpegOf(facePixels(900, 1200), 85)) as Uint8Array<ArrayBuffer>], "me.jpg"),
      }),
    );
    const matchId = await ctx.addMatch(7101, 7102, { messageCount: 60, messagesA: 30, messagesB: 30 });
    const { page, errors } = await phone(7101);
    // Hold the rendition's response until the test has seen the placeholder.
    const held = Promise.withResolvers<void>();
    const requested: string[] = [];
    await page.route("**/api/mystery/photos/**", async (route) => {
      requested.push(route.request().url());
      await held.promise;
      await route.continue();
    });
    await page.locator(`button.match[data-match="${matchId}"]`).click();
    await page.locator(".head-main").click();
    const img = page.locator("#partner-details img.photo");
    await img.waitFor(WAIT);
    expect(await img.getAttribute("data-blur")).toBe("50");
    expect(await img.evaluate((element) => element.style.backgroundImage)).toStartWith('url("data:image/png;base64,');
    await screenshot(page, "31-partner-placeholder-390x844");
    held.resolve();
    await page.waitForFunction(() => {
      const element = document.querySelector("#partner-details img.photo") as HTMLImageElement | null;
      return element?.complete && element.naturalWidth > 0;
    });
    // Loaded: the placeholder is gone, and what arrived is the strong rendition (240x320), nothing sharper.
    expect(await img.evaluate((element: HTMLImageElement) => [element.naturalWidth, element.naturalHeight])).toEqual([
      240, 320,
    ]);
    expect(await img.evaluate((element) => element.style.backgroundImage)).toBe("");
    const levels = requested.map((url) => new PhotoLinks(JWT_SECRET).open(url.split("/").pop()!)?.level);
    expect(levels.length).toBeGreaterThan(0);
    expect(levels.every((level) => level === 2)).toBe(true);
    await screenshot(page, "32-partner-level-2-390x844");
    expect(errors).toEqual([]);
  }, 60_000);
});
