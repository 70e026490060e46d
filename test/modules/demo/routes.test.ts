// The demo sign-in: present only with DEMO=1, or on the embedded database listening on a loopback
// address only; absent (404) otherwise.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../../../src/config";
import { verifyToken } from "../../../src/modules/auth/jwt";
import { createTestContext, JWT_SECRET, type TestContext } from "../../helpers/app";
import { clientWith, ok, settled } from "../../helpers/client";

// /swagger/json is not in the app's type, and the malformed user ids are what the types forbid: those go raw.

describe("demo sign-in off (a normal deployment)", () => {
  let ctx: TestContext;
  beforeAll(async () => {
    // Said explicitly: on the embedded database the demo sign-in is on by default.
    ctx = await createTestContext({ DEMO: "0" });
  });
  afterAll(() => ctx.close());

  test("POST /api/demo/token is the 404 of an unknown path, even for a malformed body, and mints nothing", async () => {
    expect(ctx.config.demo).toBe(false);
    const noRoute = { status: 404, body: { success: false as const, error: "not_found", message: "No such route" } };
    expect(await settled(clientWith(ctx).api.demo.token.post({ user_id: 42 }))).toEqual(noRoute);
    const malformed = await ctx.request("POST", "/api/demo/token", { body: "{" });
    expect({ status: malformed.status, body: malformed.body }).toEqual(noRoute);
    const unknown = await ctx.request("POST", "/api/demo/no-such-thing", { body: { user_id: 42 } });
    expect({ status: unknown.status, body: unknown.body }).toEqual(noRoute);
  });

  test("the OpenAPI document does not mention it", async () => {
    const doc = await ctx.request("GET", "/swagger/json");
    expect(Object.keys(doc.body.paths)).not.toContain("/api/demo/token");
  });
});

describe("demo sign-in on (DEMO=1)", () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ DEMO: "1" });
  });
  afterAll(() => ctx.close());

  test("mints a token for the given user id that the API accepts", async () => {
    const reply = await ok(clientWith(ctx).api.demo.token.post({ user_id: 4242 }));
    expect(reply).toMatchObject({ success: true, user_id: 4242 });
    expect(verifyToken(JWT_SECRET, reply.token)).toBe(4242);
    expect(Date.parse(reply.expires_at)).toBeGreaterThan(Date.now());
    const api = clientWith(ctx, { authorization: `Bearer ${reply.token}` });
    expect(await settled(api.api.mystery.profile.get())).toEqual({
      status: 404,
      body: { success: false, error: "user_not_found", message: "User not found. Please register first." },
    });
  });

  test("a bad user id is a 422 naming the field", async () => {
    for (const user_id of [0, -1, 1.5, "42", 2 ** 53]) {
      const reply = await ctx.request("POST", "/api/demo/token", { body: { user_id } });
      expect(reply.status).toBe(422);
      expect(reply.body.error).toBe("validation_failed");
    }
    expect((await ctx.request("POST", "/api/demo/token", { body: "{" })).status).toBe(400);
  });

  test("the OpenAPI document describes it", async () => {
    const doc = await ctx.request("GET", "/swagger/json");
    const route = doc.body.paths["/api/demo/token"];
    expect(route.post.summary).toContain("Demo sign-in");
    expect(Object.keys(route.post.responses)).toEqual(expect.arrayContaining(["200", "422"]));
  });
});

describe("DEMO in the config", () => {
  const BASE = { DATABASE_URL: "postgres://localhost/x", JWT_SECRET };
  const embedded = { JWT_SECRET, DATA_DIR: "/nonexistent/unused" };

  test("on by default only on the embedded database listening on a loopback address", () => {
    // The embedded default HOST is 127.0.0.1.
    expect(loadConfig(embedded)).toMatchObject({ host: "127.0.0.1", demo: true });
    for (const host of ["127.0.0.1", "127.8.9.10", "localhost", "::1", "::ffff:127.0.0.1"]) {
      expect({ host, demo: loadConfig({ ...embedded, HOST: host }).demo }).toEqual({ host, demo: true });
    }
    for (const host of ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.com", "127.0.0.1.example.com"]) {
      expect({ host, demo: loadConfig({ ...embedded, HOST: host }).demo }).toEqual({ host, demo: false });
    }
    // With PostgreSQL it is off by default, even on a loopback address.
    expect(loadConfig(BASE).demo).toBe(false);
    expect(loadConfig({ ...BASE, HOST: "127.0.0.1" }).demo).toBe(false);
  });

  test("DEMO=1 turns it on anywhere, DEMO=0 off anywhere", () => {
    expect(loadConfig({ ...embedded, HOST: "0.0.0.0", DEMO: "1" }).demo).toBe(true);
    expect(loadConfig({ ...BASE, DEMO: "1" }).demo).toBe(true);
    expect(loadConfig({ ...embedded, DEMO: "0" }).demo).toBe(false);
    expect(loadConfig({ ...embedded, HOST: "127.0.0.1", DEMO: "false" }).demo).toBe(false);
  });

  test("1/true and 0/false are read; anything else names the variable", () => {
    expect(loadConfig({ ...BASE, DEMO: "true" }).demo).toBe(true);
    expect(loadConfig({ ...BASE, DEMO: "0" }).demo).toBe(false);
    expect(() => loadConfig({ ...BASE, DEMO: "yes" })).toThrow(ConfigError);
    expect(() => loadConfig({ ...BASE, DEMO: "yes" })).toThrow(/DEMO/);
  });
});
