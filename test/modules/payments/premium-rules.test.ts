// The Premium rules of payments (rules.ts): a period added from the later of now and the current end, and a
// refunded period taken off again, never below now; each at the boundaries, in SQL over real rows.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { inArray } from "drizzle-orm";
import { users } from "../../../src/db/schema";
import { premiumExtendedSql, premiumRefundedSql } from "../../../src/modules/rules";
import { createTestContext, type TestContext } from "../../helpers/app";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const DAY = 86_400_000;
const now = new Date("2026-12-01T12:00:00.000Z");
const at = (ms: number) => new Date(now.getTime() + ms);
/** Never set, long past, just past, exactly now, just ahead, 10 days ahead, 40 days ahead. */
const MOMENTS: Array<Date | null> = [null, at(-DAY), at(-1), now, at(1), at(10 * DAY), at(40 * DAY)];

async function apply(firstId: number, value: typeof premiumExtendedSql): Promise<Array<Date | null>> {
  const ids = MOMENTS.map((_, i) => firstId + i);
  await ctx.addUsers(...ids.map((id, i) => ({ id, premiumUntil: MOMENTS[i] })));
  await ctx.db
    .update(users)
    .set({ premiumUntil: value(users, now, 30) })
    .where(inArray(users.id, ids));
  const rows = await ctx.db
    .select({ id: users.id, until: users.premiumUntil })
    .from(users)
    .where(inArray(users.id, ids));
  return ids.map((id) => rows.find((row) => row.id === id)!.until);
}

test("premiumExtendedSql: 30 days from now when lapsed or unset, else from the current end", async () => {
  expect(await apply(7_300_000, premiumExtendedSql)).toEqual([
    at(30 * DAY),
    at(30 * DAY),
    at(30 * DAY),
    at(30 * DAY),
    at(30 * DAY + 1),
    at(40 * DAY),
    at(70 * DAY),
  ]);
});

test("premiumRefundedSql: 30 days off the end, ending now at the earliest; a past end or none stays", async () => {
  expect(await apply(7_300_100, premiumRefundedSql)).toEqual([null, at(-DAY), at(-1), now, now, now, at(10 * DAY)]);
});
