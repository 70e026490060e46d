// The coin ledger: the one way coins change. Each change moves the balance and writes its entry in one statement.
import { and, desc, eq, lt, sql } from "drizzle-orm";
import { at, type Db, rows } from "../../db/client";
import { coinLedger, type LedgerReason, users } from "../../db/schema";

/** The most coins a balance may hold (the column is a 4-byte integer). */
export const MAX_COINS = 2_147_483_647;

export interface CoinChange {
  readonly userId: number;
  /** Non-zero: positive credits, negative debits. */
  readonly amount: number;
  readonly reason: LedgerReason;
  /** The charge of a purchase or refund. */
  readonly chargeId?: string | null;
  /** The match of an extend. */
  readonly matchId?: number | null;
  readonly now: Date;
}

/**
 * Applies `change` to the user's balance and writes its ledger entry in ONE statement (a
 * data-modifying CTE): either both happen or neither, so `users.coins` always equals the sum of the
 * user's ledger entries, and concurrent changes never lose an update (each waits for the row lock
 * of the one before it). A credit to a user without a row creates the row.
 *
 * Returns the new balance, or null when nothing changed: a debit larger than the balance (or from a
 * user without a row), or a credit past MAX_COINS. The caller says what that means to its client.
 */
export async function changeCoins(db: Db, change: CoinChange): Promise<number | null> {
  const { userId, amount, reason, now } = change;
  if (!Number.isInteger(amount) || amount === 0) throw new Error(`a coin change must be a non-zero integer: ${amount}`);
  const when = at(now);
  const fits = sql`users.coins::bigint + ${amount}::bigint BETWEEN 0 AND ${MAX_COINS}::bigint`;
  const moved =
    amount > 0
      ? sql`INSERT INTO users (id, coins, created_at, updated_at) VALUES (${userId}::bigint, ${amount}::integer, ${when}, ${when})
            ON CONFLICT (id) DO UPDATE SET coins = users.coins + ${amount}::integer, updated_at = ${when} WHERE ${fits}
            RETURNING id, coins`
      : sql`UPDATE users SET coins = coins + ${amount}::integer, updated_at = ${when} WHERE id = ${userId}::bigint AND ${fits}
            RETURNING id, coins`;
  const [row] = await rows<{ coins: number }>(
    db,
    sql`WITH moved AS (${moved}),
        entry AS (
          INSERT INTO coin_ledger (user_id, amount, reason, charge_id, match_id, created_at)
          SELECT id, ${amount}::integer, ${reason}, ${change.chargeId ?? null}::text, ${change.matchId ?? null}::bigint, ${when}
          FROM moved
        )
        SELECT coins FROM moved`,
  );
  return row === undefined ? null : Number(row.coins);
}

export interface LedgerEntry {
  id: number;
  amount: number;
  reason: LedgerReason;
  created_at: string;
}

/** The page size of the wallet's history. */
export const WALLET_PAGE = 50;

/** The user's balance, Premium end and ledger entries, newest first, `WALLET_PAGE` at a time before `beforeId`. */
export async function walletOf(
  db: Db,
  userId: number,
  beforeId: number | undefined,
): Promise<{ coins: number; premiumUntil: Date | null; entries: LedgerEntry[]; hasMore: boolean }> {
  const [user] = await db
    .select({ coins: users.coins, premiumUntil: users.premiumUntil })
    .from(users)
    .where(eq(users.id, userId));
  const page = await db
    .select({ id: coinLedger.id, amount: coinLedger.amount, reason: coinLedger.reason, at: coinLedger.createdAt })
    .from(coinLedger)
    .where(and(eq(coinLedger.userId, userId), beforeId === undefined ? undefined : lt(coinLedger.id, beforeId)))
    .orderBy(desc(coinLedger.id))
    .limit(WALLET_PAGE + 1);
  return {
    coins: user?.coins ?? 0,
    premiumUntil: user?.premiumUntil ?? null,
    hasMore: page.length > WALLET_PAGE,
    entries: page.slice(0, WALLET_PAGE).map((entry) => ({
      id: entry.id,
      amount: entry.amount,
      reason: entry.reason,
      created_at: entry.at.toISOString(),
    })),
  };
}
