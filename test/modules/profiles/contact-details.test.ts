// PUT /profile refuses a bio, city or interests with contact details (API.md, "Contact details unlock last").
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestContext, type TestContext } from "../../helpers/app";
import { apiClient, ok, settled } from "../../helpers/client";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const profile = (as: number) => apiClient(ctx, as).api.mystery.profile;
type ProfileBody = Parameters<ReturnType<typeof profile>["put"]>[0];

const plain = {
  gender: "male",
  age: 34,
  city: "Kraków",
  bio: "Born in 1990, 2 cats, coffee at 7:30 and 1990s music",
  interests: ["80s", "chess", "@ the lake"],
} satisfies ProfileBody;

const refusal = (...fields: string[]) => ({
  status: 422,
  body: {
    success: false as const,
    error: "contact_details_in_profile",
    message: `A profile cannot hold contact details: ${fields.join(", ")}`,
    details: fields.map((field) => ({
      field,
      message: "must not hold a phone number, @handle, e-mail address or link",
    })),
  },
});

let nextId = 14_700_000;

describe("contact details in a profile", () => {
  test("ordinary text with numbers and an @ is saved", async () => {
    expect((await ok(profile(nextId++).put(plain))).profile).toMatchObject(plain);
  });

  test.each<[string, Partial<ProfileBody>, string[]]>([
    ["a phone number in the bio", { bio: "text me +48 601 234 567" }, ["bio"]],
    ["a handle in the bio", { bio: "find me @krakow_guy" }, ["bio"]],
    ["a Telegram link in the city", { city: "t.me/krakow_guy" }, ["city"]],
    ["a link in the city", { city: "www.krakow.pl" }, ["city"]],
    ["an e-mail among the interests", { interests: ["chess", "me@example.com"] }, ["interests"]],
    ["a number split across interests", { interests: ["+48 601", "234 567"] }, ["interests"]],
    [
      "contact details in all three",
      { bio: "john (at) gmail (dot) com", city: "८९१६१२३४५६७", interests: ["instagram.com/x"] },
      ["bio", "city", "interests"],
    ],
  ])("%s: 422 contact_details_in_profile naming the field, and nothing saved", async (_, change, fields) => {
    const id = nextId++;
    await ok(profile(id).put(plain));
    expect(await settled(profile(id).put({ ...plain, ...change }))).toEqual(refusal(...fields));
    expect((await ok(profile(id).get())).profile).toMatchObject(plain);
  });

  test("a user without a profile gets none", async () => {
    const id = nextId++;
    expect((await settled(profile(id).put({ ...plain, bio: "t.me/x_y_z_w" }))).status).toBe(422);
    expect((await settled(profile(id).get())).status).toBe(404);
  });
});
