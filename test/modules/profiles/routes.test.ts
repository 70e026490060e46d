import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { countRows, createTestContext, type TestContext } from "../../helpers/app";
import { apiClient, ok, settled } from "../../helpers/client";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const api = (as?: number) => apiClient(ctx, as);
const profile = (as: number) => api(as).api.mystery.profile;
type ProfileBody = Parameters<ReturnType<typeof profile>["put"]>[0];

const full = {
  gender: "female",
  age: 29,
  city: "Porto",
  bio: "Surfer and baker",
  interests: ["surf", "bread"],
  photo_url: "https://cdn.example.com/a.jpg",
  looking_for: ["male", "other"],
  age_min: 25,
  age_max: 40,
} satisfies ProfileBody;

describe("PUT /api/mystery/profile", () => {
  test("creates the profile and returns it with the account state", async () => {
    expect(await settled(profile(1001).put(full))).toEqual({
      status: 200,
      body: {
        success: true,
        profile: {
          user_id: 1001,
          ...full,
          photo: null,
          is_premium: false,
          premium_until: null,
          coins: 0,
          is_banned: false,
          ban_until: null,
        },
      },
    });
  });

  test("a second PUT replaces the profile: fields left out are cleared", async () => {
    const put = profile(1001).put({ gender: "other", age: 30 });
    expect((await settled(put)).status).toBe(200);
    const saved = await ok(put);
    expect(saved.profile).toMatchObject({
      gender: "other",
      age: 30,
      city: null,
      bio: null,
      interests: [],
      photo_url: null,
      // Preferences left out are the defaults again: everyone, 18 to 100.
      looking_for: ["male", "female", "other"],
      age_min: 18,
      age_max: 100,
    });
    expect(await ok(profile(1001).get())).toEqual(saved);
  });

  test.each<[string, ProfileBody, string]>([
    ["age below 18", { ...full, age: 17 }, "age"],
    ["age above 100", { ...full, age: 101 }, "age"],
    ["age not an integer", { ...full, age: 20.5 }, "age"],
    ["http photo", { ...full, photo_url: "http://example.com/a.jpg" }, "photo_url"],
    ["city too long", { ...full, city: "x".repeat(101) }, "city"],
    ["bio too long", { ...full, bio: "x".repeat(501) }, "bio"],
    ["eleven interests", { ...full, interests: Array.from({ length: 11 }, (_, i) => `i${i}`) }, "interests"],
    ["interest too long", { ...full, interests: ["x".repeat(31)] }, "interests.0"],
    ["looking for nobody", { ...full, looking_for: [] }, "looking_for"],
    ["looking for a gender twice", { ...full, looking_for: ["male", "male"] }, "looking_for"],
    ["age_min below 18", { ...full, age_min: 17 }, "age_min"],
    ["age_max above 100", { ...full, age_max: 101 }, "age_max"],
    ["age_min above age_max", { ...full, age_min: 40, age_max: 30 }, "age_min"],
  ])("%s is 422 naming the field and writes nothing", async (_name, body, field) => {
    const before = await countRows(ctx.db, "users");
    const reply = await profile(1002).put(body);
    expect(reply.status).toBe(422);
    expect(reply.error?.value.error).toBe("validation_failed");
    expect(reply.error?.value.details?.map((d) => d.field)).toContain(field);
    expect(await countRows(ctx.db, "users")).toBe(before);
  });

  // Bodies the types forbid (a gender outside the enum, a required field left out), so sent raw.
  test.each([
    ["unknown gender", { ...full, gender: "robot" }, "gender"],
    ["missing age", { gender: "male" }, "age"],
    ["looking for a robot", { ...full, looking_for: ["robot"] }, "looking_for.0"],
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
    expect(await settled(profile(1003).get())).toEqual({
      status: 404,
      body: {
        success: false,
        error: "user_not_found",
        message: "User not found. Please register first.",
      },
    });
  });

  test("shows premium, coins and ban state", async () => {
    const future = new Date(Date.now() + 86_400_000);
    await ctx.addUsers({ id: 1004, premiumUntil: future, coins: 75, banUntil: future });
    const read = profile(1004).get();
    expect((await settled(read)).status).toBe(200);
    expect((await ok(read)).profile).toMatchObject({
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
    expect((await ok(profile(1005).get())).profile.is_premium).toBe(false);
  });
});
