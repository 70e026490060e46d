// Block racing find-match on the same pair. find_match picks the partner, then waits for the pair's
// lock while a block holds it; once the block commits, its next statement sees the block, so the
// pair is not matched. Needs two real sessions: runs when the suite runs on PostgreSQL.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import type { AppError } from "../../src/kernel/errors";
import { findMatch, lockPair } from "../../src/modules/matches/service";
import { createTestContext, ON_POSTGRES, type TestContext } from "../helpers/app";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

test.skipIf(!ON_POSTGRES)(
  "a block committed while find-match waits for the pair's lock keeps the pair apart",
  async () => {
    const [caller, partner] = [45_000_001, 45_000_002];
    const future = new Date(Date.now() + 86_400_000);
    // The only user in this city, and a premium caller filtering by it: the pick can only choose them.
    await ctx.addUsers({ id: caller, premiumUntil: future }, { id: partner, city: "Racetown-45000002" });

    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let blockInserted!: () => void;
    const inserted = new Promise<void>((resolve) => {
      blockInserted = resolve;
    });
    const blocking = ctx.db.transaction(async (tx) => {
      await lockPair(tx, partner, caller);
      await tx.execute(
        sql`INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES (${partner}, ${caller}, now())`,
      );
      blockInserted();
      await held;
    });
    await inserted;

    const finding = findMatch(ctx.db, ctx.config, caller, { preferred_city: "Racetown-45000002" }).then(
      () => "matched",
      (error: AppError) => error.code,
    );
    // find-match has picked the partner (the block is not committed) and now waits for the pair's lock.
    let waiting = 0;
    for (let i = 0; i < 50 && waiting === 0; i++) {
      await Bun.sleep(20);
      const [row] = await ctx.query<{ waiting: number }>(
        sql`SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
      );
      waiting = row!.waiting;
    }
    expect(waiting).toBe(1);

    release();
    await blocking;
    expect(await finding).toBe("no_matches_found");
    const pairs = await ctx.query(
      sql`SELECT id FROM matches WHERE least(user_a, user_b) = ${caller} AND greatest(user_a, user_b) = ${partner}`,
    );
    expect(pairs).toEqual([]);
    const [quota] = await ctx.query(
      sql`SELECT count(*)::int AS days FROM daily_match_counts WHERE user_id = ${caller}`,
    );
    expect(quota).toEqual({ days: 0 });
  },
);
