// /swagger loads nothing from another host (API.md Part 2, "Deployment defaults are safe"): the docs page,
// its script and its styles are served by this server, under a Content-Security-Policy that allows only
// 'self'; /swagger/json stays the OpenAPI document of the routes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { createTestContext, type TestContext } from "../helpers/app";
import { parseCsp, references } from "../helpers/http";
import { ARTIFACTS, HAVE_CHROMIUM, launch } from "../web/browser";

let ctx: TestContext;
let base: string;
beforeAll(async () => {
  ctx = await createTestContext();
  base = ctx.listen().http;
}, 120_000);
afterAll(() => ctx.close());

describe("GET /swagger", () => {
  test("is an HTML page that names no other host and has no inline script", async () => {
    const response = await fetch(`${base}/swagger`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const html = await response.text();
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/(?:src|href)\s*=\s*["']?\/\//i);
    const scripts = [...html.matchAll(/<script\b([^>]*)>/gi)].map((match) => match[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const attributes of scripts) expect(attributes).toMatch(/\bsrc\s*=/i);
  });

  test("every script, stylesheet and link it references is served here with a fitting type", async () => {
    const html = await (await fetch(`${base}/swagger`)).text();
    const refs = references(html);
    expect(refs.some((ref) => ref.endsWith(".js"))).toBe(true);
    for (const ref of refs) {
      if (ref === "data:,") continue; // the empty favicon: no request at all
      const url = new URL(ref, `${base}/swagger`);
      expect(url.origin).toBe(base);
      const asset = await fetch(url);
      expect([ref, asset.status]).toEqual([ref, 200]);
      const type = asset.headers.get("content-type") ?? "";
      if (url.pathname.endsWith(".js")) expect(type).toMatch(/^(text|application)\/javascript/);
      if (url.pathname.endsWith(".css")) expect(type).toMatch(/^text\/css/);
      expect(asset.headers.get("x-content-type-options")).toBe("nosniff");
      await asset.arrayBuffer();
    }
  });

  test("carries a Content-Security-Policy that allows only this origin", async () => {
    const response = await fetch(`${base}/swagger`);
    const csp = parseCsp(response.headers.get("content-security-policy"));
    expect(csp.get("default-src")).toEqual(["'none'"]);
    expect(csp.get("script-src")).toEqual(["'self'"]);
    expect(csp.get("connect-src")).toEqual(["'self'"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(csp.get("base-uri")).toEqual(["'none'"]);
    const allowed = new Set(["'self'", "'none'", "data:", "blob:"]);
    for (const [name, sources] of csp) {
      for (const source of sources) {
        // Scalar sets styles on its elements at run time; nothing else may be inline.
        if (source === "'unsafe-inline'" && name === "style-src") continue;
        expect(`${name} ${source}`).toBe(`${name} ${allowed.has(source) ? source : "(not allowed)"}`);
      }
    }
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  });

  test("its 5 MB script is revalidated by its ETag, not fetched again", async () => {
    const first = await fetch(`${base}/swagger/scalar.js`);
    expect(first.status).toBe(200);
    expect((await first.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000);
    const etag = first.headers.get("etag");
    expect(etag).toBeTruthy();
    const again = await fetch(`${base}/swagger/scalar.js`, { headers: { "if-none-match": etag! } });
    expect([again.status, (await again.arrayBuffer()).byteLength]).toEqual([304, 0]);
  });
});

describe("GET /swagger/json", () => {
  test("is still the OpenAPI document of the routes, without the docs' own files", async () => {
    const response = await fetch(`${base}/swagger/json`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    const spec = (await response.json()) as {
      openapi: string;
      info: { title: string };
      paths: Record<string, unknown>;
    };
    expect(spec.openapi).toBe("3.0.3");
    expect(spec.info.title).toBe("Mystery Match API");
    for (const path of ["/health", "/ready", "/api/mystery/profile", "/api/mystery/find-match"]) {
      expect(Object.keys(spec.paths)).toContain(path);
    }
    expect(Object.keys(spec.paths).filter((path) => path.startsWith("/swagger"))).toEqual([]);
  });
});

describe.skipIf(!HAVE_CHROMIUM)("the docs page in Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  }, 60_000);
  afterAll(() => browser?.close());

  test("renders the API reference with nothing fetched from elsewhere and no CSP violation", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const elsewhere: string[] = [];
    // Anything not from this server is recorded and refused (the machine has no internet anyway).
    await context.route(
      (url) => url.origin !== base,
      (route) => {
        elsewhere.push(route.request().url());
        return route.abort();
      },
    );
    const page = await context.newPage();
    const violations: string[] = [];
    const errors: string[] = [];
    page.on("console", (message) => {
      if (/content security policy/i.test(message.text())) violations.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (event) => {
        console.error(`Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    await page.goto(`${base}/swagger`);
    // The summary of GET /health, rendered by Scalar from /swagger/json.
    await page.getByText("The process is up").first().waitFor({ timeout: 30_000 });
    await page.getByText("Mystery Match API").first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: `${ARTIFACTS}docs-swagger.png` }); // the first screen: the page is long
    expect(elsewhere).toEqual([]);
    expect(violations).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
