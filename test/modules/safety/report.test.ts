import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { messages, reports, users } from "../../../src/db/schema";
import { AUTO_BAN_REASON } from "../../../src/modules/safety/service";
import { countRows, createTestContext, type TestContext } from "../../helpers/app";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

let nextId = 30_000_000;
const freshIds = (n: number) => Array.from({ length: n }, () => nextId++);

async function newMatch(overrides: Parameters<TestContext["addMatch"]>[2] = {}) {
  const [a, b] = freshIds(2) as [number, number];
  await ctx.addUsers({ id: a }, { id: b });
  return { a, b, matchId: await ctx.addMatch(a, b, overrides) };
}

/** A reported user `target` and `n` users who each share a match with them. */
async function targetWithPartners(n: number) {
  const [target, ...partners] = freshIds(n + 1) as [number, ...number[]];
  await ctx.addUsers({ id: target }, ...partners.map((id) => ({ id })));
  const matchIds = [];
  for (const partner of partners) matchIds.push(await ctx.addMatch(partner, target));
  return { target, partners, matchIds };
}

const report = (as: number, body: object) => ctx.request("POST", "/api/mystery/report", { as, body });

async function storeMessage(matchId: number, senderId: number, text: string, selfDestructAt: Date | null = null) {
  const [row] = await ctx.db
    .insert(messages)
    .values({
      matchId,
      senderId,
      text,
      seq: 1,
      createdAt: new Date(),
      isSecret: selfDestructAt !== null,
      selfDestructAt,
    })
    .returning({ id: messages.id });
  return row!.id;
}

const reportRow = async (id: number) => {
  const [row] = await ctx.db.select().from(reports).where(eq(reports.id, id));
  return row;
};

async function banOf(userId: number) {
  const [row] = await ctx.db
    .select({ banUntil: users.banUntil, banReason: users.banReason })
    .from(users)
    .where(eq(users.id, userId));
  return row!;
}

const MATCH_NOT_FOUND = { success: false, error: "match_not_found", message: "Match not found" };
const MESSAGE_NOT_FOUND = { success: false, error: "message_not_found", message: "Message not found" };

describe("POST /api/mystery/report", () => {
  test("by match: reports the partner and stores the report", async () => {
    const { a, b, matchId } = await newMatch();
    const before = Date.now();
    const reply = await report(a, { match_id: matchId, content_type: "profile", content_id: "bio", reason: "fake" });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ success: true, report_id: expect.any(Number) });
    const row = await reportRow(reply.body.report_id);
    expect(row).toEqual({
      id: reply.body.report_id,
      reporterId: a,
      reportedUserId: b,
      matchId,
      contentType: "profile",
      contentId: "bio",
      evidence: null,
      reason: "fake",
      status: "pending",
      createdAt: expect.any(Date),
      resolvedAt: null,
    });
    expect(row!.createdAt.getTime()).toBeGreaterThanOrEqual(before);
  });

  test("by id: a user the reporter shared a match with, even an ended one; the match is recorded", async () => {
    const { a, b, matchId } = await newMatch({ isActive: false, endReason: "unmatched" });
    const reply = await report(b, { reporter_id: b, reported_user_id: a, content_type: "match", reason: "harassment" });
    expect(reply.status).toBe(200);
    expect(await reportRow(reply.body.report_id)).toMatchObject({ reporterId: b, reportedUserId: a, matchId });
  });

  test("by id: without a shared match it is match_not_found, whether or not the user exists", async () => {
    const [me, other] = freshIds(2) as [number, number];
    await ctx.addUsers({ id: me }, { id: other });
    const existing = await report(me, { reported_user_id: other, content_type: "profile", reason: "x" });
    const missing = await report(me, { reported_user_id: 999_999_999, content_type: "profile", reason: "x" });
    expect(existing.status).toBe(404);
    expect(existing.body).toEqual(MATCH_NOT_FOUND);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual(MATCH_NOT_FOUND);
    expect(await countRows(ctx.db, `reports WHERE reporter_id = ${me}`)).toBe(0);
  });

  test("by match: a match the caller is not part of is the same 404 as a missing one", async () => {
    const { matchId } = await newMatch();
    const [stranger] = freshIds(1) as [number];
    await ctx.addUsers({ id: stranger });
    const notMine = await report(stranger, { match_id: matchId, content_type: "match", reason: "x" });
    const missing = await report(stranger, { match_id: 987_654_321, content_type: "match", reason: "x" });
    expect([notMine.status, notMine.body]).toEqual([404, MATCH_NOT_FOUND]);
    expect([missing.status, missing.body]).toEqual([404, MATCH_NOT_FOUND]);
  });

  test("reporting yourself is 422", async () => {
    const { a } = await newMatch();
    const reply = await report(a, { reported_user_id: a, content_type: "profile", reason: "x" });
    expect(reply.status).toBe(422);
    expect(reply.body.details).toEqual([{ field: "reported_user_id", message: "must not be yourself" }]);
  });

  test.each([
    ["neither reported_user_id nor match_id", {}],
    ["both reported_user_id and match_id", { reported_user_id: 1, match_id: 1 }],
  ])("%s is 422", async (_name, target) => {
    const [me] = freshIds(1) as [number];
    const reply = await report(me, { ...target, content_type: "profile", reason: "x" });
    expect(reply.status).toBe(422);
    expect(reply.body).toEqual({
      success: false,
      error: "validation_failed",
      message: "Invalid body: reported_user_id",
      details: [{ field: "reported_user_id", message: "give exactly one of reported_user_id and match_id" }],
    });
  });

  test.each([
    ["an empty reason", { reason: "" }, "reason"],
    ["a whitespace reason", { reason: "  \n " }, "reason"],
    ["a reason over 1000 characters", { reason: "x".repeat(1001) }, "reason"],
    ["an unknown content_type", { content_type: "video" }, "content_type"],
    ["a content_id over 64 characters", { content_id: "x".repeat(65) }, "content_id"],
  ])("%s is 422", async (_name, override, field) => {
    const { a, matchId } = await newMatch();
    const reply = await report(a, { match_id: matchId, content_type: "profile", reason: "x", ...override });
    expect(reply.status).toBe(422);
    expect(reply.body.details.map((d: { field: string }) => d.field)).toEqual([field]);
    expect(await countRows(ctx.db, `reports WHERE match_id = ${matchId}`)).toBe(0);
  });

  test("a reporter_id other than the caller is 403; no credentials is 401", async () => {
    const { a, b, matchId } = await newMatch();
    const spoofed = await report(a, { reporter_id: b, match_id: matchId, content_type: "match", reason: "x" });
    expect([spoofed.status, spoofed.body.error]).toEqual([403, "forbidden"]);
    const anonymous = await ctx.request("POST", "/api/mystery/report", {
      body: { match_id: matchId, content_type: "match", reason: "x" },
    });
    expect([anonymous.status, anonymous.body.error]).toEqual([401, "unauthorized"]);
    expect(await countRows(ctx.db, `reports WHERE match_id = ${matchId}`)).toBe(0);
  });
});

describe("reporting a message", () => {
  test("copies its text as evidence, which outlives the message", async () => {
    const { a, b, matchId } = await newMatch();
    const messageId = await storeMessage(matchId, b, "something awful");
    const byNumber = await report(a, {
      match_id: matchId,
      content_type: "message",
      content_id: messageId,
      reason: "x",
    });
    const byString = await report(a, {
      reported_user_id: b,
      content_type: "message",
      content_id: String(messageId),
      reason: "again",
    });
    expect(byNumber.status).toBe(200);
    expect(byString.status).toBe(200);
    await ctx.db.delete(messages).where(eq(messages.id, messageId));
    for (const reply of [byNumber, byString]) {
      expect(await reportRow(reply.body.report_id)).toMatchObject({
        contentType: "message",
        contentId: String(messageId),
        evidence: "something awful",
      });
    }
  });

  test("a secret message can be reported before it self-destructs, not after", async () => {
    const { a, b, matchId } = await newMatch();
    const live = await storeMessage(matchId, b, "psst", new Date(Date.now() + 60_000));
    const gone = await storeMessage(matchId, b, "gone", new Date(Date.now() - 1000));
    const first = await report(a, { match_id: matchId, content_type: "message", content_id: live, reason: "x" });
    expect((await reportRow(first.body.report_id))?.evidence).toBe("psst");
    const second = await report(a, { match_id: matchId, content_type: "message", content_id: gone, reason: "x" });
    expect([second.status, second.body]).toEqual([404, MESSAGE_NOT_FOUND]);
  });

  test("only a message the reported user sent in the match the two share: else message_not_found", async () => {
    const { a, b, matchId } = await newMatch();
    const other = await newMatch();
    const mine = await storeMessage(matchId, a, "my own words");
    const elsewhere = await storeMessage(other.matchId, other.b, "not in this match");
    for (const contentId of [mine, elsewhere, 999_999_999]) {
      const reply = await report(a, { match_id: matchId, content_type: "message", content_id: contentId, reason: "x" });
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual(MESSAGE_NOT_FOUND);
    }
    expect(await countRows(ctx.db, `reports WHERE reported_user_id = ${b}`)).toBe(0);
  });

  test.each([
    ["missing", {}, 'is required when content_type is "message"'],
    ["not a number", { content_id: "abc" }, "must be a message id"],
    ["negative", { content_id: -3 }, "must be a message id"],
  ])("a content_id that is %s is 422", async (_name, override, message) => {
    const { a, matchId } = await newMatch();
    const reply = await report(a, { match_id: matchId, content_type: "message", reason: "x", ...override });
    expect(reply.status).toBe(422);
    expect(reply.body.details).toEqual([{ field: "content_id", message }]);
  });
});

describe("auto-ban", () => {
  const reportTarget = (reporter: number, matchId: number) =>
    report(reporter, { match_id: matchId, content_type: "match", reason: "abusive" });

  test("bans for 48 hours at exactly the third distinct reporter within 7 days", async () => {
    const { target, partners, matchIds } = await targetWithPartners(4);
    const [r1, r2, r3, old] = partners as [number, number, number, number];
    const [m1, m2, m3, mOld] = matchIds as [number, number, number, number];
    const unbanned = { banUntil: null, banReason: null };

    // A report older than 7 days does not count.
    await ctx.db.insert(reports).values({
      reporterId: old,
      reportedUserId: target,
      matchId: mOld,
      contentType: "match",
      reason: "long ago",
      createdAt: new Date(Date.now() - 7 * 86_400_000 - 60_000),
    });
    expect((await reportTarget(r1, m1)).status).toBe(200);
    expect(await banOf(target)).toEqual(unbanned);
    // The same reporter twice counts once.
    expect((await reportTarget(r1, m1)).status).toBe(200);
    expect(await banOf(target)).toEqual(unbanned);
    expect((await reportTarget(r2, m2)).status).toBe(200);
    expect(await banOf(target)).toEqual(unbanned);

    const before = Date.now();
    expect((await reportTarget(r3, m3)).status).toBe(200);
    const ban = await banOf(target);
    expect(ban.banReason).toBe(AUTO_BAN_REASON);
    expect(ban.banReason).toBe("auto: 3 reports in 7 days");
    expect(ban.banUntil!.getTime()).toBeGreaterThanOrEqual(before + 48 * 3600_000);
    expect(ban.banUntil!.getTime()).toBeLessThanOrEqual(Date.now() + 48 * 3600_000);

    // A reporter already counted adds nobody: a repeat neither bans again nor extends the ban.
    await ctx.db.execute(sql`UPDATE users SET ban_until = now() + interval '1 hour' WHERE id = ${target}`);
    const shortened = await banOf(target);
    expect((await reportTarget(r2, m2)).status).toBe(200);
    expect(await banOf(target)).toEqual(shortened);
  });

  test("the banned user gets 403 banned from find-match and send-message", async () => {
    const { target, partners, matchIds } = await targetWithPartners(3);
    for (const [i, partner] of partners.entries()) await reportTarget(partner, matchIds[i]!);
    const banned = { success: false, error: "banned", message: "Your account is suspended" };
    const find = await ctx.request("POST", "/api/mystery/find-match", { as: target, body: {} });
    expect([find.status, find.body]).toEqual([403, banned]);
    const send = await ctx.request("POST", "/api/mystery/send-message", {
      as: target,
      body: { match_id: matchIds[0], message_text: "let me explain" },
    });
    expect([send.status, send.body]).toEqual([403, banned]);
  });

  test("a dismissed report does not count", async () => {
    const { target, partners, matchIds } = await targetWithPartners(3);
    const first = await reportTarget(partners[0]!, matchIds[0]!);
    await ctx.db.update(reports).set({ status: "dismissed" }).where(eq(reports.id, first.body.report_id));
    await reportTarget(partners[1]!, matchIds[1]!);
    await reportTarget(partners[2]!, matchIds[2]!);
    expect(await banOf(target)).toEqual({ banUntil: null, banReason: null });
  });

  test("a longer ban in place is kept, with its reason", async () => {
    const { target, partners, matchIds } = await targetWithPartners(3);
    const long = new Date(Date.now() + 30 * 86_400_000);
    await ctx.db.update(users).set({ banUntil: long, banReason: "operator: spam" }).where(eq(users.id, target));
    for (const [i, partner] of partners.entries()) await reportTarget(partner, matchIds[i]!);
    expect(await banOf(target)).toEqual({ banUntil: long, banReason: "operator: spam" });
  });

  test("three concurrent reports by distinct reporters ban the user", async () => {
    const targets = await Promise.all(Array.from({ length: 5 }, () => targetWithPartners(3)));
    const before = Date.now();
    const replies = await Promise.all(
      targets.flatMap(({ partners, matchIds }) => partners.map((partner, i) => reportTarget(partner, matchIds[i]!))),
    );
    expect(replies.map((reply) => reply.status)).toEqual(Array(15).fill(200));
    for (const { target } of targets) {
      const ban = await banOf(target);
      expect(ban.banReason).toBe(AUTO_BAN_REASON);
      expect(ban.banUntil!.getTime()).toBeGreaterThanOrEqual(before + 48 * 3600_000);
    }
  });

  test("two concurrent reports by distinct reporters do not", async () => {
    const { target, partners, matchIds } = await targetWithPartners(2);
    await Promise.all(partners.map((partner, i) => reportTarget(partner, matchIds[i]!)));
    expect(await banOf(target)).toEqual({ banUntil: null, banReason: null });
  });
});
