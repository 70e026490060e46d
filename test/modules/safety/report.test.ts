import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { messages, reports, users } from "../../../src/db/schema";
import { AUTO_BAN_REASON } from "../../../src/modules/safety/service";
import { countRows, createTestContext, type TestContext } from "../../helpers/app";
import { apiClient, ok, settled } from "../../helpers/client";
import { conversation } from "../../helpers/conversation";

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

const monthAgo = () => new Date(Date.now() - 30 * 86_400_000);

/**
 * A reported user `target` and `n` users who each share a match with them, in which the target
 * wrote 3 messages, the partners' profiles a month old: their reports count toward the auto-ban.
 */
async function targetWithPartners(n: number) {
  const [target, ...partners] = freshIds(n + 1) as [number, ...number[]];
  await ctx.addUsers({ id: target }, ...partners.map((id) => ({ id, profileCreatedAt: monthAgo() })));
  const matchIds = [];
  for (const partner of partners) matchIds.push(await ctx.addMatch(partner, target, { messageCount: 3, messagesB: 3 }));
  return { target, partners, matchIds };
}

const api = (as?: number) => apiClient(ctx, as);
type ReportBody = Parameters<ReturnType<typeof api>["api"]["mystery"]["report"]["post"]>[0];
const report = (as: number, body: ReportBody) => api(as).api.mystery.report.post(body);

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

const MATCH_NOT_FOUND = { success: false, error: "match_not_found", message: "Match not found" } as const;
const MESSAGE_NOT_FOUND = { success: false, error: "message_not_found", message: "Message not found" } as const;

describe("POST /api/mystery/report", () => {
  test("by match: reports the partner and stores the report", async () => {
    const { a, b, matchId } = await newMatch();
    const before = Date.now();
    const call = report(a, { match_id: matchId, content_type: "profile", content_id: "bio", reason: "fake" });
    expect(await settled(call)).toEqual({ status: 200, body: { success: true, report_id: expect.any(Number) } });
    const { report_id } = await ok(call);
    const row = await reportRow(report_id);
    expect(row).toEqual({
      id: report_id,
      reporterId: a,
      reportedUserId: b,
      matchId,
      contentType: "profile",
      contentId: "bio",
      evidence: null,
      reason: "fake",
      status: "pending",
      // b wrote nothing in the match: the report is kept for the operators but does not count toward a ban.
      countsTowardBan: false,
      createdAt: expect.any(Date),
      resolvedAt: null,
    });
    expect(row!.createdAt.getTime()).toBeGreaterThanOrEqual(before);
  });

  test("by id: a partner whose id the match revealed (level 4), even in an ended match; the match is recorded", async () => {
    const { a, b, matchId } = await newMatch({ isActive: false, endReason: "unmatched", ...conversation(150) });
    const call = report(b, { reporter_id: b, reported_user_id: a, content_type: "match", reason: "harassment" });
    expect((await settled(call)).status).toBe(200);
    expect(await reportRow((await ok(call)).report_id)).toMatchObject({ reporterId: b, reportedUserId: a, matchId });
  });

  test("by id: without a shared match it is match_not_found, whether or not the user exists", async () => {
    const [me, other] = freshIds(2) as [number, number];
    await ctx.addUsers({ id: me }, { id: other });
    const existing = await settled(report(me, { reported_user_id: other, content_type: "profile", reason: "x" }));
    const missing = await settled(report(me, { reported_user_id: 999_999_999, content_type: "profile", reason: "x" }));
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
    const notMine = await settled(report(stranger, { match_id: matchId, content_type: "match", reason: "x" }));
    const missing = await settled(report(stranger, { match_id: 987_654_321, content_type: "match", reason: "x" }));
    expect(notMine).toEqual({ status: 404, body: MATCH_NOT_FOUND });
    expect(missing).toEqual({ status: 404, body: MATCH_NOT_FOUND });
  });

  test("reporting yourself is 422", async () => {
    const { a } = await newMatch();
    const reply = await report(a, { reported_user_id: a, content_type: "profile", reason: "x" });
    expect(reply.status).toBe(422);
    expect(reply.error?.value.details).toEqual([{ field: "reported_user_id", message: "must not be yourself" }]);
  });

  test.each<[string, Partial<ReportBody>]>([
    ["neither reported_user_id nor match_id", {}],
    ["both reported_user_id and match_id", { reported_user_id: 1, match_id: 1 }],
  ])("%s is 422", async (_name, target) => {
    const [me] = freshIds(1) as [number];
    expect(await settled(report(me, { ...target, content_type: "profile", reason: "x" }))).toEqual({
      status: 422,
      body: {
        success: false,
        error: "validation_failed",
        message: "Invalid body: reported_user_id",
        details: [{ field: "reported_user_id", message: "give exactly one of reported_user_id and match_id" }],
      },
    });
  });

  test.each<[string, Partial<ReportBody>, string]>([
    ["an empty reason", { reason: "" }, "reason"],
    ["a whitespace reason", { reason: "  \n " }, "reason"],
    ["a reason over 1000 characters", { reason: "x".repeat(1001) }, "reason"],
    ["a content_id over 64 characters", { content_id: "x".repeat(65) }, "content_id"],
  ])("%s is 422", async (_name, override, field) => {
    const { a, matchId } = await newMatch();
    const reply = await report(a, { match_id: matchId, content_type: "profile", reason: "x", ...override });
    expect(reply.status).toBe(422);
    expect(reply.error?.value.details?.map((d) => d.field)).toEqual([field]);
    expect(await countRows(ctx.db, `reports WHERE match_id = ${matchId}`)).toBe(0);
  });

  // A content_type outside the enum is a body the types forbid, so it is sent raw.
  test("an unknown content_type is 422", async () => {
    const { a, matchId } = await newMatch();
    const reply = await ctx.request("POST", "/api/mystery/report", {
      as: a,
      body: { match_id: matchId, content_type: "video", reason: "x" },
    });
    expect(reply.status).toBe(422);
    expect(reply.body.details.map((d: { field: string }) => d.field)).toEqual(["content_type"]);
    expect(await countRows(ctx.db, `reports WHERE match_id = ${matchId}`)).toBe(0);
  });

  test("a reporter_id other than the caller is 403; no credentials is 401", async () => {
    const { a, b, matchId } = await newMatch();
    const spoofed = await report(a, { reporter_id: b, match_id: matchId, content_type: "match", reason: "x" });
    expect([spoofed.status, spoofed.error?.value.error]).toEqual([403, "forbidden"]);
    const anonymous = await api().api.mystery.report.post({ match_id: matchId, content_type: "match", reason: "x" });
    expect([anonymous.status, anonymous.error?.value.error]).toEqual([401, "unauthorized"]);
    expect(await countRows(ctx.db, `reports WHERE match_id = ${matchId}`)).toBe(0);
  });
});

describe("reporting a message", () => {
  test("copies its text as evidence, which outlives the message", async () => {
    // Level 4, so the partner's id is known and the report by id is accepted too.
    const { a, b, matchId } = await newMatch(conversation(150));
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
      expect(await reportRow(reply.data!.report_id)).toMatchObject({
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
    const first = await ok(report(a, { match_id: matchId, content_type: "message", content_id: live, reason: "x" }));
    expect((await reportRow(first.report_id))?.evidence).toBe("psst");
    const second = report(a, { match_id: matchId, content_type: "message", content_id: gone, reason: "x" });
    expect(await settled(second)).toEqual({ status: 404, body: MESSAGE_NOT_FOUND });
  });

  test("only a message the reported user sent in the match the two share: else message_not_found", async () => {
    const { a, b, matchId } = await newMatch();
    const other = await newMatch();
    const mine = await storeMessage(matchId, a, "my own words");
    const elsewhere = await storeMessage(other.matchId, other.b, "not in this match");
    for (const contentId of [mine, elsewhere, 999_999_999]) {
      const reply = report(a, { match_id: matchId, content_type: "message", content_id: contentId, reason: "x" });
      expect(await settled(reply)).toEqual({ status: 404, body: MESSAGE_NOT_FOUND });
    }
    expect(await countRows(ctx.db, `reports WHERE reported_user_id = ${b}`)).toBe(0);
  });

  test.each<[string, Partial<ReportBody>, string]>([
    ["missing", {}, 'is required when content_type is "message"'],
    ["not a number", { content_id: "abc" }, "must be a message id"],
    ["negative", { content_id: -3 }, "must be a message id"],
  ])("a content_id that is %s is 422", async (_name, override, message) => {
    const { a, matchId } = await newMatch();
    const reply = await report(a, { match_id: matchId, content_type: "message", reason: "x", ...override });
    expect(reply.status).toBe(422);
    expect(reply.error?.value.details).toEqual([{ field: "content_id", message }]);
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
      countsTowardBan: true,
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
    const banned = { success: false, error: "banned", message: "Your account is suspended" } as const;
    const find = await settled(api(target).api.mystery["find-match"].post({}));
    expect(find).toEqual({ status: 403, body: banned });
    const send = await settled(
      api(target).api.mystery["send-message"].post({ match_id: matchIds[0]!, message_text: "let me explain" }),
    );
    expect(send).toEqual({ status: 403, body: banned });
  });

  test("three fresh accounts that matched someone and never heard a word from them cannot ban them", async () => {
    const [victim, ...sybils] = freshIds(4) as [number, ...number[]];
    // Profiles made a minute ago, matches in which the victim wrote nothing.
    await ctx.addUsers(
      { id: victim },
      ...sybils.map((id) => ({ id, profileCreatedAt: new Date(Date.now() - 60_000) })),
    );
    for (const sybil of sybils) {
      const matchId = await ctx.addMatch(sybil, victim);
      expect((await reportTarget(sybil, matchId)).status).toBe(200);
    }
    expect(await banOf(victim)).toEqual({ banUntil: null, banReason: null });
    // Every report is still kept for the operators, marked as not counting.
    const kept = await ctx.db.select().from(reports).where(eq(reports.reportedUserId, victim));
    expect(kept.map((row) => [row.reason, row.countsTowardBan])).toEqual(sybils.map(() => ["abusive", false]));
  });

  test.each<[string, (reporters: number[], matchIds: number[], target: number) => Promise<unknown>]>([
    [
      "the reported user wrote only 2 messages in one of the matches",
      (_r, matchIds) => ctx.db.execute(sql`UPDATE matches SET messages_b = 2 WHERE id = ${matchIds[2]!}`),
    ],
    [
      "one reporter's profile is 23 hours old",
      (reporters) =>
        ctx.db.execute(
          sql`UPDATE users SET profile_created_at = now() - interval '23 hours' WHERE id = ${reporters[2]!}`,
        ),
    ],
    [
      "one reporter is banned",
      (reporters) =>
        ctx.db.execute(sql`UPDATE users SET ban_until = now() + interval '1 hour' WHERE id = ${reporters[2]!}`),
    ],
  ])("no ban when %s", async (_name, arrange) => {
    const { target, partners, matchIds } = await targetWithPartners(3);
    await arrange(partners, matchIds, target);
    for (const [i, partner] of partners.entries()) await reportTarget(partner, matchIds[i]!);
    expect(await banOf(target)).toEqual({ banUntil: null, banReason: null });
  });

  test("a dismissed report does not count", async () => {
    const { target, partners, matchIds } = await targetWithPartners(3);
    const first = await ok(reportTarget(partners[0]!, matchIds[0]!));
    await ctx.db.update(reports).set({ status: "dismissed" }).where(eq(reports.id, first.report_id));
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
