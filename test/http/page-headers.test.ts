// The web page's headers (API.md Part 2, "Deployment defaults are safe"): the page at / and each asset it
// references are served with a Content-Security-Policy allowing only this origin (plus
// https://telegram.org for the Mini App script), frame-ancestors 'self' https://web.telegram.org,
// X-Content-Type-Options: nosniff and Referrer-Policy: no-referrer; API responses carry the last two.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { createTestContext, type TestContext } from "../helpers/app";
import { parseCsp, rawHead, references } from "../helpers/http";
import { HAVE_CHROMIUM, launch, person, screenshot } from "../web/browser";

let ctx: TestContext;
let base: string;
let host: string;
beforeAll(async () => {
  ctx = await createTestContext({ DEMO: "1" });
  base = ctx.listen().http;
  host = new URL(base).host;
}, 120_000);
afterAll(() => ctx.close());

/** The page's policy, as served for a request whose Host was `expectedHost`. */
function expectPagePolicy(response: Response, expectedHost: string): void {
  const csp = parseCsp(response.headers.get("content-security-policy"));
  expect(csp.get("default-src")).toEqual(["'none'"]);
  expect(csp.get("script-src")).toEqual(["'self'", "https://telegram.org"]);
  // 'self' covers ws: and wss: of this host in CSP 3 browsers; the explicit origins cover the others.
  expect(csp.get("connect-src")).toEqual(["'self'", `ws://${expectedHost}`, `wss://${expectedHost}`]);
  expect(csp.get("frame-ancestors")).toEqual(["'self'", "https://web.telegram.org"]);
  expect(csp.get("object-src")).toEqual(["'none'"]);
  expect(csp.get("base-uri")).toEqual(["'none'"]);
  expect(csp.get("form-action")).toEqual(["'self'"]);
  for (const [name, sources] of csp) {
    expect(sources).not.toContain("*");
    expect(sources).not.toContain("'unsafe-eval'");
    if (name === "script-src" || name === "default-src") expect(sources).not.toContain("'unsafe-inline'");
  }
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  expect(response.headers.get("referrer-policy")).toBe("no-referrer");
}

describe("the page's headers", () => {
  test("/ and every asset it references carry the policy, nosniff and no-referrer", async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expectPagePolicy(response, host);
    const refs = references(await response.text());
    expect(refs.length).toBeGreaterThanOrEqual(2);
    const types: string[] = [];
    for (const ref of refs) {
      const url = new URL(ref, `${base}/`);
      expect(url.origin).toBe(base);
      const asset = await fetch(url);
      expect([ref, asset.status]).toEqual([ref, 200]);
      types.push(asset.headers.get("content-type") ?? "");
      expectPagePolicy(asset, host);
      await asset.arrayBuffer();
    }
    expect(types.some((type) => /javascript/.test(type))).toBe(true);
    expect(types.some((type) => /^text\/css/.test(type))).toBe(true);
  });

  test("HEAD and a conditional GET carry them too", async () => {
    const head = await fetch(`${base}/`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expectPagePolicy(head, host);
    const etag = head.headers.get("etag");
    expect(etag).toBeTruthy();
    const again = await fetch(`${base}/`, { headers: { "if-none-match": etag! } });
    expect(again.status).toBe(304);
    expectPagePolicy(again, host);
  });

  test("a Host header that is not a plain host name adds nothing to the policy", async () => {
    let answered = 0;
    for (const hostile of ["evil.test; script-src *", "evil.test 'unsafe-inline'", "evil.test,x", '"evil"']) {
      const head = await rawHead(base, "/", hostile);
      const line = head.split("\r\n").find((text) => text.toLowerCase().startsWith("content-security-policy:"));
      if (!/^HTTP\/1\.1 200/.test(head)) continue; // refused by the HTTP parser: nothing to reflect
      answered++;
      expect(line).toBeDefined();
      expect(line!).not.toContain("evil");
      const csp = parseCsp(line!.slice(line!.indexOf(":") + 1));
      expect(csp.get("connect-src")).toEqual(["'self'"]);
      expect(csp.get("script-src")).toEqual(["'self'", "https://telegram.org"]);
    }
    expect(answered).toBeGreaterThan(0); // Bun's parser lets such headers through: the check above ran
  });

  test("API responses carry nosniff and no-referrer, errors too", async () => {
    for (const path of ["/health", "/no/such/route", "/api/mystery/profile", "/swagger/json"]) {
      const response = await fetch(`${base}${path}`);
      await response.arrayBuffer();
      expect([path, response.headers.get("x-content-type-options")]).toEqual([path, "nosniff"]);
      expect([path, response.headers.get("referrer-policy")]).toEqual([path, "no-referrer"]);
    }
  });
});

describe.skipIf(!HAVE_CHROMIUM)("the page under its policy in Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  }, 60_000);
  afterAll(() => browser?.close());

  test("renders and signs in with no CSP violation; a socket elsewhere is refused", async () => {
    const { context, page, errors } = await person(browser);
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/content security policy/i.test(message.text())) violations.push(message.text());
    });
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (event) => {
        console.error(`Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    await page.goto(base);
    await page.locator("#demo-form").waitFor({ state: "visible", timeout: 10_000 });
    await screenshot(page, "page-under-csp");
    await page.getByLabel("Your user id").fill("4242");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByText("You are user 4242").waitFor({ timeout: 10_000 });
    // A socket to this origin is allowed (by 'self' and by the explicit ws: origin)...
    const opened = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(`ws://${location.host}/no-such-socket`);
          ws.onclose = () => resolve("closed");
          ws.onerror = () => resolve("error");
          setTimeout(() => resolve("timeout"), 5_000);
        }),
    );
    expect(["closed", "error"]).toContain(opened);
    expect(violations).toEqual([]);
    expect(errors).toEqual([]);
    // ...and one to any other host is refused by the policy.
    await page.evaluate(() => {
      try {
        new WebSocket("ws://127.0.0.2:9/");
      } catch {}
    });
    await page.waitForTimeout(200);
    expect(violations.some((text) => /connect-src/.test(text))).toBe(true);
    await context.close();
  }, 60_000);
});
