// A request is routed by its URL's path, whatever its Host header: a short Host must not shift the path a proxy checked.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestContext, type TestContext } from "../helpers/app";
import { rawHead, statusOf } from "../helpers/http";

let ctx: TestContext;
let base: string;
beforeAll(async () => {
  ctx = await createTestContext();
  base = ctx.listen().http;
});
afterAll(() => ctx.close());

/** The status of a raw GET of `path` with this Host header. */
const rawStatus = async (path: string, host: string) => statusOf(await rawHead(base, path, host));

describe("routing ignores the Host header", () => {
  for (const host of ["x", "ab", "abc", "localhost", `127.0.0.1:${0}`]) {
    test(`Host: ${host} — /zz/health is no route, /health is`, async () => {
      expect(await rawStatus("/zz/health", host)).toBe(404);
      expect(await rawStatus("/health", host)).toBe(200);
      expect(await rawStatus("/api/mystery/zz/profile", host)).toBe(404);
    });
  }

  test("app.handle with a one-letter host routes by the path too", async () => {
    const shifted = await ctx.app.handle(new Request("http://x/zz/health"));
    expect(shifted.status).toBe(404);
    const straight = await ctx.app.handle(new Request("http://x/health"));
    expect(straight.status).toBe(200);
    expect(await straight.json()).toMatchObject({ success: true, status: "ok" });
  });
});
