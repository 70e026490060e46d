// Each business rule of src/modules/rules.ts: its TS check and its SQL form agree on the same rows, at the boundaries.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { inArray, sql } from "drizzle-orm";
import { matches, messages, users } from "../../src/db/schema";
import {
  closedMatchError,
  dailyLimitFor,
  isBanned,
  isMatchOpen,
  isPremium,
  isSecretChatActive,
  matchOpenSql,
  messageVisibleSql,
  notBannedSql,
  premiumSql,
  secretChatActiveSql,
  utcDay,
} from "../../src/modules/rules";
import { createTestContext, type TestContext } from "../helpers/app";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const now = new Date("2026-12-01T12:00:00.000Z");
const at = (ms: number) => new Date(now.getTime() + ms);
/** The instants every rule is tried at: never set, long past, just past, exactly now, just ahead, far ahead. */
const MOMENTS: Array<Date | null> = [null, at(-86_400_000), at(-1), now, at(1), at(86_400_000)];

describe("user banned", () => {
  test("isBanned and notBannedSql split the same users", async () => {
    const ids = MOMENTS.map((_, i) => 7_100_000 + i);
    await ctx.addUsers(...ids.map((id, i) => ({ id, banUntil: MOMENTS[i] })));
    const free = await ctx.db
      .select({ id: users.id })
      .from(users)
      .where(sql`${inArray(users.id, ids)} AND ${notBannedSql(users, now)}`);
    const expected = ids.filter((_, i) => !isBanned(MOMENTS[i]!, now));
    expect(free.map((row) => row.id).sort()).toEqual(expected);
    // Banned exactly while ban_until is ahead of now.
    expect(MOMENTS.map((moment) => isBanned(moment, now))).toEqual([false, false, false, false, true, true]);
  });
});

describe("premium", () => {
  test("premium exactly while premium_until is ahead of now; isPremium and premiumSql split the same users", async () => {
    expect(MOMENTS.map((moment) => isPremium(moment, now))).toEqual([false, false, false, false, true, true]);
    const ids = MOMENTS.map((_, i) => 7_150_000 + i);
    await ctx.addUsers(...ids.map((id, i) => ({ id, premiumUntil: MOMENTS[i] })));
    const premium = await ctx.db
      .select({ id: users.id })
      .from(users)
      .where(sql`${inArray(users.id, ids)} AND ${premiumSql(users, now)}`);
    expect(premium.map((row) => row.id).sort()).toEqual(ids.filter((_, i) => isPremium(MOMENTS[i]!, now)));
  });

  test("the daily limit is the configured one for free users and none for premium users", () => {
    expect([dailyLimitFor(false, 3), dailyLimitFor(true, 3)]).toEqual([3, null]);
    expect([utcDay(new Date("2026-12-01T23:59:59.999Z")), utcDay(new Date("2026-12-02T00:00:00.000Z"))]).toEqual([
      "2026-12-01",
      "2026-12-02",
    ]);
  });
});

describe("match open and secret chat active", () => {
  const cases = [true, false].flatMap((isActive) =>
    MOMENTS.filter((moment) => moment !== null).map((expiresAt) => ({ isActive, expiresAt: expiresAt! })),
  );

  test("closedMatchError is null exactly for the matches matchOpenSql selects", async () => {
    const first = 7_200_000;
    await ctx.addUsers(...cases.flatMap((_, i) => [{ id: first + 2 * i }, { id: first + 2 * i + 1 }]));
    const ids: number[] = [];
    for (const [i, c] of cases.entries()) {
      ids.push(
        await ctx.addMatch(first + 2 * i, first + 2 * i + 1, {
          isActive: c.isActive,
          expiresAt: c.expiresAt,
          endReason: c.isActive ? null : "unmatched",
          secretChatExpiresAt: MOMENTS[i % MOMENTS.length],
        }),
      );
    }
    const open = await ctx.db
      .select({ id: matches.id })
      .from(matches)
      .where(sql`${inArray(matches.id, ids)} AND ${matchOpenSql(matches, now)}`);
    const expected = ids.filter((_, i) => isMatchOpen(cases[i]!, now));
    expect(ids.filter((_, i) => closedMatchError({ ...cases[i]!, endReason: null }, now) === null)).toEqual(expected);
    expect(open.map((row) => row.id).sort()).toEqual(expected);
    expect(expected.length).toBe(2);

    const secret = await ctx.db
      .select({ id: matches.id, active: sql<boolean>`${secretChatActiveSql(matches, now)}` })
      .from(matches)
      .where(inArray(matches.id, ids))
      .orderBy(matches.id);
    expect(secret.map((row) => row.active)).toEqual(
      ids.map((_, i) => isSecretChatActive(MOMENTS[i % MOMENTS.length]!, now)),
    );
  });

  test("an ended match says why: expired, or ended for any other reason", () => {
    const past = at(-1);
    expect(closedMatchError({ isActive: false, endReason: "expired", expiresAt: past }, now)?.code).toBe(
      "match_expired",
    );
    expect(closedMatchError({ isActive: false, endReason: "blocked", expiresAt: at(1) }, now)?.code).toBe(
      "match_ended",
    );
    expect(closedMatchError({ isActive: true, endReason: null, expiresAt: now }, now)?.code).toBe("match_expired");
  });
});

describe("message visible", () => {
  test("messageVisibleSql hides a message from its self_destruct_at on", async () => {
    const [a, b] = [7_300_000, 7_300_001];
    await ctx.addUsers({ id: a }, { id: b });
    const matchId = await ctx.addMatch(a, b);
    const rows = await ctx.db
      .insert(messages)
      .values(
        MOMENTS.map((moment, i) => ({
          matchId,
          senderId: a,
          text: `m${i}`,
          seq: i + 1,
          isSecret: moment !== null,
          selfDestructAt: moment,
          createdAt: at(-86_400_000),
        })),
      )
      .returning({ id: messages.id });
    const visible = await ctx.db
      .select({ text: messages.text })
      .from(messages)
      .where(
        sql`${inArray(
          messages.id,
          rows.map((row) => row.id),
        )} AND ${messageVisibleSql(messages, now)}`,
      )
      .orderBy(messages.id);
    expect(visible.map((row) => row.text)).toEqual(["m0", "m4", "m5"]);
  });
});
