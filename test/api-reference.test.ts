// API-REFERENCE.md is rendered from this server's OpenAPI document: every route it serves is in the
// file, and the file names no route it does not serve. UPDATE_API_REFERENCE=1 rewrites it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type OpenApiDocument, operationHeading, renderApiReference } from "./helpers/api-reference";
import { createTestContext, type TestContext } from "./helpers/app";

const FILE = new URL("../API-REFERENCE.md", import.meta.url).pathname;

let ctx: TestContext;
beforeAll(async () => {
  // Every route described: the demo sign-in is in the document only where it is on (the embedded
  // database's default, off on PostgreSQL), and the reference describes it for those setups.
  ctx = await createTestContext({ DEMO: "1" });
});
afterAll(() => ctx.close());

test("API-REFERENCE.md has a section for exactly the routes the server describes", async () => {
  const spec = await ctx.request("GET", "/swagger/json");
  expect(spec.status).toBe(200);
  const doc = spec.body as OpenApiDocument;
  if (process.env.UPDATE_API_REFERENCE === "1") await Bun.write(FILE, renderApiReference(doc));
  const committed = await Bun.file(FILE).text();
  const served = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => operationHeading(method, path)),
  );
  const written = committed.split("\n").filter((line) => line.startsWith("### `"));
  // On a difference: UPDATE_API_REFERENCE=1 bun test test/api-reference.test.ts, then read the diff.
  expect(written.sort()).toEqual(served.sort());
});
