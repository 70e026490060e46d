// GET/PUT /api/mystery/settings: defaults, partial changes, validation, and the language from Telegram.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { countRows, createTestContext, type TestContext } from "../../helpers/app";
import { apiClient, ok, settled } from "../../helpers/client";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

let nextId = 40_000_000;
const freshUser = () => nextId++;
const settings = (as: number) => apiClient(ctx, as).api.mystery.settings;

const ALL_ON = { new_match: true, messages: true, unlocks: true, expiring: true, secret_chat: true };

describe("GET /api/mystery/settings", () => {
  test("every notification is on and the language English by default, with nothing stored", async () => {
    const user = freshUser();
    expect(await ok(settings(user).get())).toEqual({ success: true, notifications: ALL_ON, language: "en" });
    const [row] = await ctx.query<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM user_settings WHERE user_id = ${user}`,
    );
    expect(row!.n).toBe(0);
  });

  test("the language follows the Telegram language_code the bot saw, until one is chosen", async () => {
    const user = freshUser();
    await ctx.query(
      sql`INSERT INTO telegram_chats (user_id, chat_id, language_code, reachable) VALUES (${user}, ${user}, 'hi-IN', true)`,
    );
    expect((await ok(settings(user).get())).language).toBe("hi");
    expect((await ok(settings(user).put({ language: "en" }))).language).toBe("en");
    expect((await ok(settings(user).get())).language).toBe("en");
  });

  test("needs a credential", async () => {
    expect((await ctx.request("GET", "/api/mystery/settings")).status).toBe(401);
    expect((await ctx.request("PUT", "/api/mystery/settings", { body: { language: "hi" } })).status).toBe(401);
    // Not even a refused body tells a caller without a credential anything.
    expect((await ctx.request("PUT", "/api/mystery/settings", { body: { notifications: true } })).status).toBe(401);
  });
});

describe("PUT /api/mystery/settings", () => {
  test("is partial: only the fields given change, and the reply is every setting after the change", async () => {
    const user = freshUser();
    expect(await ok(settings(user).put({ notifications: { messages: false } }))).toEqual({
      success: true,
      notifications: { ...ALL_ON, messages: false },
      language: "en",
    });
    expect(await ok(settings(user).put({ language: "hi" }))).toEqual({
      success: true,
      notifications: { ...ALL_ON, messages: false },
      language: "hi",
    });
    await ok(settings(user).put({ notifications: { new_match: false, expiring: false, messages: true } }));
    expect(await ok(settings(user).get())).toEqual({
      success: true,
      notifications: { ...ALL_ON, new_match: false, expiring: false },
      language: "hi",
    });
    // Nothing given: nothing changes.
    expect((await ok(settings(user).put({}))).notifications).toEqual({ ...ALL_ON, new_match: false, expiring: false });
  });

  test("one user's settings are not another's", async () => {
    const [a, b] = [freshUser(), freshUser()];
    await ok(settings(a).put({ notifications: { unlocks: false }, language: "hi" }));
    expect(await ok(settings(b).get())).toEqual({ success: true, notifications: ALL_ON, language: "en" });
  });

  test.each([
    [{ language: "fr" }, "language"],
    [{ language: null }, "language"],
    [{ notifications: { messages: "false" } }, "notifications.messages"],
    [{ notifications: { messages: 0 } }, "notifications.messages"],
    [{ notifications: { unlocks: null } }, "notifications.unlocks"],
    [{ notifications: true }, "notifications"],
    [{ notifications: null }, "notifications"],
    [{ notifications: [] }, "notifications"],
  ])("%j is 422 naming %s, and nothing is stored", async (body, field) => {
    const user = freshUser();
    const before = await countRows(ctx.db, "user_settings");
    const reply = await ctx.request("PUT", "/api/mystery/settings", { as: user, body });
    expect(reply.status).toBe(422);
    expect(reply.body.error).toBe("validation_failed");
    expect(reply.body.details.map((detail: { field: string }) => detail.field)).toContain(field);
    expect(await countRows(ctx.db, "user_settings")).toBe(before);
  });

  test("unknown fields are ignored; malformed JSON is 400", async () => {
    const user = freshUser();
    const reply = await settled(
      settings(user).put({ language: "hi", theme: "dark", notifications: { messages: false, extra: 1 } } as never),
    );
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ success: true, notifications: { ...ALL_ON, messages: false }, language: "hi" });
    const bad = await ctx.request("PUT", "/api/mystery/settings", { as: user, body: "{nope" });
    expect(bad.status).toBe(400);
  });
});
