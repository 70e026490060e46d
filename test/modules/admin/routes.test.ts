import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { reports, users } from "../../../src/db/schema";
import { ADMIN_TOKEN, countRows, createTestContext, type TestContext } from "../../helpers/app";
import { apiClient, clientWith, ok, settled } from "../../helpers/client";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

let nextId = 40_000_000;
const freshIds = (n: number) => Array.from({ length: n }, () => nextId++);

const asAdmin = { authorization: `Bearer ${ADMIN_TOKEN}` };
// The typed client with the ADMIN_TOKEN bearer, or a user's token.
const operator = () => clientWith(ctx, asAdmin).api.admin;
const user = (id: number) => apiClient(ctx, id).api.mystery;
const adminUser = (id: number) => operator().users({ user_id: id });
type Admin = ReturnType<typeof operator>;
type UserRoutes = ReturnType<Admin["users"]>;
type PremiumBody = Parameters<UserRoutes["premium"]["put"]>[0];
type BanBody = Parameters<UserRoutes["ban"]["post"]>[0];
type ReportsQuery = NonNullable<NonNullable<Parameters<Admin["reports"]["get"]>[0]>["query"]>;
// For what the types forbid (a string amount, a missing field, "abc" as an id): sent raw.
const raw = (method: string, path: string, body?: unknown) =>
  ctx.request(method, `/api/admin${path}`, { headers: asAdmin, body });

async function userRow(id: number) {
  const [row] = await ctx.db
    .select({
      premiumUntil: users.premiumUntil,
      coins: users.coins,
      banUntil: users.banUntil,
      banReason: users.banReason,
    })
    .from(users)
    .where(eq(users.id, id));
  return row;
}

const newUser = async (overrides: Partial<typeof users.$inferInsert> = {}) => {
  const [id] = freshIds(1) as [number];
  await ctx.addUsers({ id, ...overrides });
  return id;
};

const validation = (field: string) => ({
  success: false as const,
  error: "validation_failed",
  message: expect.any(String),
  details: [{ field, message: expect.any(String) }],
});

describe("PUT /api/admin/users/{user_id}/premium", () => {
  test("grants premium until a time, normalised to UTC, and the user sees it", async () => {
    const id = await newUser();
    const reply = await settled(adminUser(id).premium.put({ until: "2099-01-01T02:00:00+02:00" }));
    expect(reply).toEqual({
      status: 200,
      body: { success: true, user_id: id, premium_until: "2099-01-01T00:00:00.000Z" },
    });
    const profile = await ok(user(id).profile.get());
    expect(profile.profile).toMatchObject({ is_premium: true, premium_until: "2099-01-01T00:00:00.000Z" });
  });

  test("null revokes it", async () => {
    const id = await newUser({ premiumUntil: new Date(Date.now() + 86_400_000) });
    expect(await ok(adminUser(id).premium.put({ until: null }))).toEqual({
      success: true,
      user_id: id,
      premium_until: null,
    });
    expect((await userRow(id))?.premiumUntil).toBeNull();
  });

  test("creates the user row when absent", async () => {
    const [id] = freshIds(1) as [number];
    expect(await ok(adminUser(id).premium.put({ until: "2099-06-01T00:00:00Z" }))).toEqual({
      success: true,
      user_id: id,
      premium_until: "2099-06-01T00:00:00.000Z",
    });
    expect(await userRow(id)).toEqual({
      premiumUntil: new Date("2099-06-01T00:00:00Z"),
      coins: 0,
      banUntil: null,
      banReason: null,
    });
  });

  test.each<[string, PremiumBody]>([
    ["not a date-time", { until: "tomorrow" }],
    ["a date without a time", { until: "2099-01-01" }],
    ["a time without an offset", { until: "2099-01-01T10:00:00" }],
    ["a day that does not exist", { until: "2099-02-29T00:00:00Z" }],
    ["hour 24", { until: "2099-01-01T24:00:00Z" }],
    ["a local date string", { until: "2099-01-01 10:30 PM" }],
  ])("an until that is %s is 422 and changes nothing", async (_name, body) => {
    const id = await newUser();
    expect(await settled(adminUser(id).premium.put(body))).toEqual({ status: 422, body: validation("until") });
    expect((await userRow(id))?.premiumUntil).toBeNull();
  });

  test.each([
    ["missing", {}],
    ["a number", { until: 1_700_000_000 }],
  ])("an until that is %s is 422 and changes nothing", async (_name, body) => {
    const id = await newUser();
    const reply = await raw("PUT", `/users/${id}/premium`, body);
    expect(reply.status).toBe(422);
    expect(reply.body).toEqual(validation("until"));
    expect((await userRow(id))?.premiumUntil).toBeNull();
  });

  test("a user id that is not a positive integer is 422", async () => {
    const reply = await raw("PUT", "/users/abc/premium", { until: null });
    expect(reply.status).toBe(422);
    expect(reply.body.details.map((d: { field: string }) => d.field)).toEqual(["user_id"]);
  });
});

describe("POST /api/admin/users/{user_id}/coins", () => {
  test("credits and debits the balance", async () => {
    const id = await newUser();
    expect(await ok(adminUser(id).coins.post({ amount: 100 }))).toEqual({ success: true, user_id: id, coins: 100 });
    expect(await ok(adminUser(id).coins.post({ amount: -30 }))).toEqual({ success: true, user_id: id, coins: 70 });
    expect((await ok(adminUser(id).coins.post({ amount: -70 }))).coins).toBe(0);
  });

  test("a debit below zero is 409 insufficient_coins and changes nothing", async () => {
    const id = await newUser({ coins: 70 });
    expect(await settled(adminUser(id).coins.post({ amount: -71 }))).toEqual({
      status: 409,
      body: {
        success: false,
        error: "insufficient_coins",
        message: "The balance is too low for this debit",
      },
    });
    expect((await userRow(id))?.coins).toBe(70);
  });

  test("a credit to an unknown user creates the row; a debit from one is 409", async () => {
    const [credited, debited] = freshIds(2) as [number, number];
    expect(await ok(adminUser(credited).coins.post({ amount: 25 }))).toEqual({
      success: true,
      user_id: credited,
      coins: 25,
    });
    expect((await userRow(credited))?.coins).toBe(25);
    const reply = await adminUser(debited).coins.post({ amount: -1 });
    expect([reply.status, reply.error?.value.error]).toEqual([409, "insufficient_coins"]);
    expect(await userRow(debited)).toBeUndefined();
  });

  test("a credit past the largest balance is 409 balance_limit", async () => {
    const id = await newUser({ coins: 2_147_000_000 });
    const reply = await adminUser(id).coins.post({ amount: 1_000_000 });
    expect([reply.status, reply.error?.value.error]).toEqual([409, "balance_limit"]);
    expect((await userRow(id))?.coins).toBe(2_147_000_000);
  });

  test("three concurrent debits of 50 from 60: exactly one succeeds", async () => {
    const id = await newUser({ coins: 60 });
    const replies = await Promise.all(
      Array.from({ length: 3 }, () => settled(adminUser(id).coins.post({ amount: -50 }))),
    );
    expect(replies.map((reply) => reply.status).sort()).toEqual([200, 409, 409]);
    expect(replies.find((reply) => reply.status === 200)?.body).toEqual({ success: true, user_id: id, coins: 10 });
    expect((await userRow(id))?.coins).toBe(10);
  });

  test.each([
    ["zero", 0],
    ["over a million", 1_000_001],
    ["under minus a million", -1_000_001],
    ["a fraction", 1.5],
  ])("an amount that is %s is 422", async (_name, amount) => {
    const id = await newUser({ coins: 5 });
    expect(await settled(adminUser(id).coins.post({ amount }))).toEqual({ status: 422, body: validation("amount") });
    expect((await userRow(id))?.coins).toBe(5);
  });

  test("an amount that is a string is 422", async () => {
    const id = await newUser({ coins: 5 });
    const reply = await raw("POST", `/users/${id}/coins`, { amount: "10" });
    expect(reply.status).toBe(422);
    expect(reply.body).toEqual(validation("amount"));
    expect((await userRow(id))?.coins).toBe(5);
  });
});

describe("POST and DELETE /api/admin/users/{user_id}/ban", () => {
  test("bans for some hours from now; the user is then refused as banned", async () => {
    const id = await newUser();
    const before = Date.now();
    const call = adminUser(id).ban.post({ hours: 5, reason: "spam" });
    expect(await settled(call)).toEqual({
      status: 200,
      body: { success: true, user_id: id, ban_until: expect.any(String) },
    });
    const until = Date.parse((await ok(call)).ban_until!);
    expect(until).toBeGreaterThanOrEqual(before + 5 * 3600_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 5 * 3600_000);
    expect(await userRow(id)).toMatchObject({ banUntil: new Date(until), banReason: "spam" });
    const find = await user(id)["find-match"].post({});
    expect([find.status, find.error?.value.error]).toEqual([403, "banned"]);
  });

  test("a new ban replaces the current one, even a longer one", async () => {
    const id = await newUser({ banUntil: new Date(Date.now() + 1000 * 3600_000), banReason: "old" });
    const reply = await ok(adminUser(id).ban.post({ hours: 1, reason: "new" }));
    expect(Date.parse(reply.ban_until!)).toBeLessThanOrEqual(Date.now() + 3600_000);
    expect((await userRow(id))?.banReason).toBe("new");
  });

  test("DELETE lifts the ban", async () => {
    const id = await newUser({ banUntil: new Date(Date.now() + 3600_000), banReason: "spam" });
    expect(await settled(adminUser(id).ban.delete())).toEqual({
      status: 200,
      body: { success: true, user_id: id, ban_until: null },
    });
    expect(await userRow(id)).toMatchObject({ banUntil: null, banReason: null });
    const profile = await ok(user(id).profile.get());
    expect(profile.profile).toMatchObject({ is_banned: false, ban_until: null });
  });

  test("an unknown user is 404 user_not_found, and no row is created", async () => {
    const [id] = freshIds(1) as [number];
    const notFound = {
      success: false,
      error: "user_not_found",
      message: "User not found. Please register first.",
    } as const;
    const ban = await settled(adminUser(id).ban.post({ hours: 1, reason: "x" }));
    const lift = await settled(adminUser(id).ban.delete());
    expect(ban).toEqual({ status: 404, body: notFound });
    expect(lift).toEqual({ status: 404, body: notFound });
    expect(await userRow(id)).toBeUndefined();
  });

  test.each<[string, BanBody, string]>([
    ["0 hours", { hours: 0, reason: "x" }, "hours"],
    ["87601 hours", { hours: 87_601, reason: "x" }, "hours"],
    ["an empty reason", { hours: 1, reason: "" }, "reason"],
    ["a reason over 500 characters", { hours: 1, reason: "x".repeat(501) }, "reason"],
  ])("%s is 422", async (_name, body, field) => {
    const id = await newUser();
    expect(await settled(adminUser(id).ban.post(body))).toEqual({ status: 422, body: validation(field) });
    expect((await userRow(id))?.banUntil).toBeNull();
  });

  test("no reason is 422", async () => {
    const id = await newUser();
    const reply = await raw("POST", `/users/${id}/ban`, { hours: 1 });
    expect(reply.status).toBe(422);
    expect(reply.body).toEqual(validation("reason"));
    expect((await userRow(id))?.banUntil).toBeNull();
  });
});

describe("reports", () => {
  // Its own reported user and reporters, so listings are compared whole.
  let seeded: Array<typeof reports.$inferSelect>;
  beforeAll(async () => {
    const [target, r1, r2] = freshIds(3) as [number, number, number];
    await ctx.addUsers({ id: target }, { id: r1 }, { id: r2 });
    const matchId = await ctx.addMatch(r1, target);
    const base = Date.parse("2026-01-01T00:00:00Z");
    const rows: Array<Omit<typeof reports.$inferInsert, "createdAt">> = [
      {
        reporterId: r1,
        reportedUserId: target,
        matchId,
        contentType: "message",
        contentId: "7",
        evidence: "ugh",
        reason: "a",
      },
      { reporterId: r2, reportedUserId: target, contentType: "profile", reason: "b", status: "dismissed" },
      { reporterId: r1, reportedUserId: target, matchId, contentType: "photo", reason: "c" },
      { reporterId: r2, reportedUserId: target, contentType: "match", reason: "d", status: "actioned" },
    ];
    seeded = await ctx.db
      .insert(reports)
      .values(rows.map((row, i) => ({ ...row, createdAt: new Date(base + i * 60_000) })))
      .returning();
  });

  const asItem = (row: typeof reports.$inferSelect) => ({
    report_id: row.id,
    reporter_id: row.reporterId,
    reported_user_id: row.reportedUserId,
    match_id: row.matchId,
    content_type: row.contentType,
    content_id: row.contentId,
    evidence: row.evidence,
    reason: row.reason,
    status: row.status,
    created_at: row.createdAt.toISOString(),
  });

  test("GET lists every report, newest first", async () => {
    expect(await settled(operator().reports.get())).toEqual({
      status: 200,
      body: { success: true, reports: [...seeded].reverse().map(asItem), has_more: false },
    });
  });

  test("GET filters by status", async () => {
    expect(await ok(operator().reports.get({ query: { status: "pending" } }))).toEqual({
      success: true,
      reports: [seeded[2]!, seeded[0]!].map(asItem),
      has_more: false,
    });
  });

  test("GET pages with limit and before_id", async () => {
    expect(await ok(operator().reports.get({ query: { limit: 3 } }))).toEqual({
      success: true,
      reports: [...seeded].reverse().slice(0, 3).map(asItem),
      has_more: true,
    });
    expect(await ok(operator().reports.get({ query: { limit: 3, before_id: seeded[1]!.id } }))).toEqual({
      success: true,
      reports: [asItem(seeded[0]!)],
      has_more: false,
    });
  });

  test.each<[string, ReportsQuery, string]>([
    ["limit=0", { limit: 0 }, "limit"],
    ["limit=201", { limit: 201 }, "limit"],
    ["before_id=0", { before_id: 0 }, "before_id"],
  ])("GET with %s is 422", async (_name, query, field) => {
    expect(await settled(operator().reports.get({ query }))).toEqual({ status: 422, body: validation(field) });
  });

  // A status outside the enum is a query the types forbid, so it is sent raw.
  test("GET with status=open is 422", async () => {
    const reply = await raw("GET", "/reports?status=open");
    expect(reply.status).toBe(422);
    expect(reply.body).toEqual(validation("status"));
  });

  test("resolve records the verdict", async () => {
    const [target, reporter] = freshIds(2) as [number, number];
    await ctx.addUsers({ id: target }, { id: reporter });
    const [row] = await ctx.db
      .insert(reports)
      .values({
        reporterId: reporter,
        reportedUserId: target,
        contentType: "profile",
        reason: "x",
        createdAt: new Date(),
      })
      .returning();
    expect(await settled(operator().reports({ report_id: row!.id }).resolve.post({ status: "dismissed" }))).toEqual({
      status: 200,
      body: { success: true, report_id: row!.id, status: "dismissed" },
    });
    const [stored] = await ctx.db.select().from(reports).where(eq(reports.id, row!.id));
    expect(stored).toEqual({ ...row!, status: "dismissed", resolvedAt: expect.any(Date) });
  });

  test("resolve: an unknown report is 404 report_not_found; a status other than the two verdicts is 422", async () => {
    const missing = await settled(operator().reports({ report_id: 987654321 }).resolve.post({ status: "actioned" }));
    expect(missing).toEqual({
      status: 404,
      body: { success: false, error: "report_not_found", message: "Report not found" },
    });
    // "pending" is no verdict: a body the types forbid, so sent raw.
    const pending = await raw("POST", `/reports/${seeded[0]!.id}/resolve`, { status: "pending" });
    expect(pending.status).toBe(422);
    expect(pending.body).toEqual(validation("status"));
  });
});

// Raw on purpose from here: credential variants, junk bodies, and routes that must look absent.

/** Every admin route, with a body it would accept. */
const everyRoute: Array<[string, string, unknown]> = [
  ["PUT", "/users/1/premium", { until: null }],
  ["POST", "/users/1/coins", { amount: 10 }],
  ["POST", "/users/1/ban", { hours: 1, reason: "x" }],
  ["DELETE", "/users/1/ban", undefined],
  ["GET", "/reports", undefined],
  ["POST", "/reports/1/resolve", { status: "actioned" }],
];

describe("admin authentication", () => {
  const UNAUTHORIZED = { success: false, error: "unauthorized", message: "Missing or invalid admin token" };

  test.each(everyRoute)("%s %s is 401 without the admin token, before the body is validated", async (method, path) => {
    const credentials: Array<Record<string, string>> = [
      {},
      { authorization: "Bearer wrong-token" },
      { authorization: `Bearer ${ADMIN_TOKEN}x` },
      { authorization: ADMIN_TOKEN },
      { authorization: `Bearer ${ctx.token(1)}` },
    ];
    for (const headers of credentials) {
      const body = method === "GET" ? undefined : { junk: true };
      const reply = await ctx.request(method, `/api/admin${path}`, { headers, body });
      expect([reply.status, reply.body]).toEqual([401, UNAUTHORIZED]);
    }
    expect(await countRows(ctx.db, "users WHERE id = 1")).toBe(0);
  });

  test("the scheme is case-insensitive", async () => {
    const reply = await ctx.request("GET", "/api/admin/reports", {
      headers: { authorization: `bearer ${ADMIN_TOKEN}` },
    });
    expect(reply.status).toBe(200);
  });

  test("OpenAPI documents the admin bearer scheme on the admin routes", async () => {
    const spec = (await ctx.request("GET", "/swagger/json")).body;
    expect(spec.components.securitySchemes.admin).toMatchObject({ type: "http", scheme: "bearer" });
    expect(spec.paths["/api/admin/reports"].get.security).toEqual([{ admin: [] }]);
    expect(spec.paths["/api/admin/users/{user_id}/coins"].post.security).toEqual([{ admin: [] }]);
  });
});

describe("without ADMIN_TOKEN", () => {
  let disabled: TestContext;
  beforeAll(async () => {
    disabled = await createTestContext({ ADMIN_TOKEN: "" });
  });
  afterAll(() => disabled.close());

  test("every admin route is 404 as if it did not exist, whatever the credentials", async () => {
    const unknownRoute = await disabled.request("GET", "/api/admin/nothing-here");
    expect(unknownRoute.status).toBe(404);
    const credentials: Array<Record<string, string>> = [
      {},
      { authorization: `Bearer ${ADMIN_TOKEN}` },
      { authorization: "Bearer " },
    ];
    for (const [method, path, body] of everyRoute) {
      for (const headers of credentials) {
        const reply = await disabled.request(method, `/api/admin${path}`, { headers, body });
        expect([reply.status, reply.body]).toEqual([404, unknownRoute.body]);
      }
    }
    expect(unknownRoute.body).toEqual({ success: false, error: "not_found", message: "No such route" });
    // Not even a malformed body, which a real route would parse first, gives them away.
    const malformed = await disabled.request("POST", "/api/admin/users/1/coins", { body: "{oops" });
    expect([malformed.status, malformed.body]).toEqual([404, unknownRoute.body]);
    expect(await countRows(disabled.db, "users")).toBe(0);
  });
});
