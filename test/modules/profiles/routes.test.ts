import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { countRows, createTestContext, type TestContext } from "../../helpers/app";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const full = {
  gender: "female",
  age: 29,
  city: "Porto",
  bio: "Surfer and baker",
  interests: ["surf", "bread"],
  photo_url: "https://cdn.example.com/a.jpg",
};

describe("PUT /api/mystery/profile", () => {
  test("creates the profile and returns it with the account state", async () => {
    const reply = await ctx.request("PUT", "/api/mystery/profile", { as: 1001, body: full });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      success: true,
      profile: {
        user_id: 1001,
        ...full,
        is_premium: false,
        premium_until: null,
        coins: 0,
        is_banned: false,
        ban_until: null,
      },
    });
  });

  test("a second PUT replaces the profile: fields left out are cleared", async () => {
    const reply = await ctx.request("PUT", "/api/mystery/profile", { as: 1001, body: { gender: "other", age: 30 } });
    expect(reply.status).toBe(200);
    expect(reply.body.profile).toMatchObject({
      gender: "other",
      age: 30,
      city: null,
      bio: null,
      interests: [],
      photo_url: null,
    });
    const read = await ctx.request("GET", "/api/mystery/profile", { as: 1001 });
    expect(read.body).toEqual(reply.body);
  });

  test.each([
    ["age below 18", { ...full, age: 17 }, "age"],
    ["age above 100", { ...full, age: 101 }, "age"],
    ["age not an integer", { ...full, age: 20.5 }, "age"],
    ["unknown gender", { ...full, gender: "robot" }, "gender"],
    ["http photo", { ...full, photo_url: "http://example.com/a.jpg" }, "photo_url"],
    ["city too long", { ...full, city: "x".repeat(101) }, "city"],
    ["bio too long", { ...full, bio: "x".repeat(501) }, "bio"],
    ["eleven interests", { ...full, interests: Array.from({ length: 11 }, (_, i) => `i${i}`) }, "interests"],
    ["interest too long", { ...full, interests: ["x".repeat(31)] }, "interests.0"],
    ["missing age", { gender: "male" }, "age"],
  ])("%s is 422 naming the field and writes nothing", async (_name, body, field) => {
    const before = await countRows(ctx.db, "users");
    const reply = await ctx.request("PUT", "/api/mystery/profile", { as: 1002, body });
    expect(reply.status).toBe(422);
    expect(reply.body.error).toBe("validation_failed");
    expect(reply.body.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(await countRows(ctx.db, "users")).toBe(before);
  });
});

describe("GET /api/mystery/profile", () => {
  test("a user without a profile gets 404 user_not_found", async () => {
    const reply = await ctx.request("GET", "/api/mystery/profile", { as: 1003 });
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({
      success: false,
      error: "user_not_found",
      message: "User not found. Please register first.",
    });
  });

  test("shows premium, coins and ban state", async () => {
    const future = new Date(Date.now() + 86_400_000);
    await ctx.addUsers({ id: 1004, premiumUntil: future, coins: 75, banUntil: future });
    const reply = await ctx.request("GET", "/api/mystery/profile", { as: 1004 });
    expect(reply.status).toBe(200);
    expect(reply.body.profile).toMatchObject({
      is_premium: true,
      premium_until: future.toISOString(),
      coins: 75,
      is_banned: true,
      ban_until: future.toISOString(),
    });
  });

  test("an expired premium is not premium", async () => {
    await ctx.addUsers({ id: 1005 });
    await ctx.db.execute(sql`UPDATE users SET premium_until = now() - interval '1 hour' WHERE id = 1005`);
    const reply = await ctx.request("GET", "/api/mystery/profile", { as: 1005 });
    expect(reply.body.profile.is_premium).toBe(false);
  });
});
