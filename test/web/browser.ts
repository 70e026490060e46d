// Debian's Chromium driven by playwright-core, for the web page's tests. Playwright's own browser
// download is not used (it cannot be fetched here); .ci/run installs the `chromium` package.
import { existsSync, mkdirSync } from "node:fs";
import axe from "axe-core";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

/** Screenshots land here (not committed) for a person to look at. */
export const ARTIFACTS = new URL("../artifacts/", import.meta.url).pathname;

export async function launch(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  // launch() gives every run a fresh, throwaway user-data-dir of its own.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A stand-in portrait, so the blur is visible without fetching anything from outside. */
export function portrait(hue: number): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240" viewBox="0 0 240 240">
  <rect width="240" height="240" fill="hsl(${hue} 70% 80%)"/>
  <circle cx="120" cy="96" r="48" fill="hsl(${hue} 45% 40%)"/>
  <circle cx="102" cy="90" r="7" fill="#fff"/><circle cx="138" cy="90" r="7" fill="#fff"/>
  <path d="M98 116 q22 18 44 0" stroke="#fff" stroke-width="6" fill="none" stroke-linecap="round"/>
  <rect x="52" y="160" width="136" height="90" rx="60" fill="hsl(${hue} 45% 40%)"/>
</svg>`;
}

export interface Person {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors in the page: a test ends by expecting none. */
  errors: string[];
}

/** A browser context of its own (its own storage: one person), with photos served locally. */
export async function person(browser: Browser): Promise<Person> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.route("https://photos.mystery.test/**", (route) => {
    const hue = Number(/(\d+)\.svg$/.exec(route.request().url())?.[1] ?? 260);
    return route.fulfill({ status: 200, contentType: "image/svg+xml", body: portrait(hue) });
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  return { context, page, errors };
}

/** Signs in through the page's demo sign-in as `userId`, waiting up to `wait` for the page to say so. */
export async function demoSignIn(page: Page, base: string, userId: number, wait: { timeout: number }): Promise<void> {
  await page.goto(base);
  await page.getByLabel("Your user id").fill(String(userId));
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByText(`You are user ${userId}`).waitFor(wait);
}

/** The profile form's photo picker, once it takes a file (the form opens when the stored profile is shown). */
export async function photoPicker(page: Page, wait: { timeout: number }): Promise<Locator> {
  await page.waitForSelector("#profile-form:not([inert])", { state: "attached", ...wait });
  return page.locator('#profile-form input[name="photo_file"]');
}

/** A phone-sized (390x844) page of its own, signed in as `userId`, with the errors it throws. */
export async function phoneSignedIn(
  browser: Browser,
  base: string,
  userId: number,
  wait: { timeout: number },
): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await demoSignIn(page, base, userId, wait);
  return { page, errors };
}

/** axe-core's WCAG 2.1 A/AA findings on the page as it is now, one line each; none is the goal. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: an inline <script> tag would be refused by the page's CSP.
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axe.source);
  const results = await page.evaluate(() =>
    (window as unknown as { axe: typeof axe }).axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    }),
  );
  return results.violations.map(
    (violation) =>
      `${violation.id}: ${violation.help} at ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`,
  );
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}
