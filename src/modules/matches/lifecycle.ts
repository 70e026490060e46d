// Ending and extending a match: unmatch, and extend-match paid with coins unless premium.
import { eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { matches, users } from "../../db/schema";
import { AppError } from "../../kernel/errors";
import { changeCoins } from "../payments/ledger";
import { closedMatchError, extensionPrice, isPremium } from "../rules";
import { lockParticipantMatch } from "./service";

/** What changed, for the reply and for the events published after the commit. */
export interface MatchEnded {
  matchId: number;
  endedBy: number;
  partnerId: number;
}

/** Ends an active match (also one past its expiry time), recording who ended it and why. */
export async function unmatch(
  db: Db,
  userId: number,
  matchId: number,
  reason: string | null,
  now = new Date(),
): Promise<MatchEnded> {
  return db.transaction(async (tx) => {
    const match = await lockParticipantMatch(tx, matchId, userId);
    if (!match.isActive) throw closedMatchError(match, now)!;
    await tx
      .update(matches)
      .set({ isActive: false, endedAt: now, endedBy: userId, endReason: "unmatched", endNote: reason })
      .where(eq(matches.id, matchId));
    return { matchId, endedBy: userId, partnerId: match.partnerId };
  });
}

export const EXTENSION_HOURS = 24;

export interface MatchExtended {
  matchId: number;
  partnerId: number;
  expiresAt: Date;
  cost: number;
}

const insufficientCoins = (cost: number) =>
  new AppError(402, "insufficient_coins", `Extending a match costs ${cost} coins; your balance is too low`);

/**
 * Adds 24 hours to an active, unexpired match. Premium users extend for free; others pay
 * `cost` coins in the same transaction, through the coin ledger's one conditional statement, so
 * concurrent extends can never spend coins the user does not have.
 */
export async function extendMatch(
  db: Db,
  cost: number,
  userId: number,
  matchId: number,
  now = new Date(),
): Promise<MatchExtended> {
  return db.transaction(async (tx) => {
    const match = await lockParticipantMatch(tx, matchId, userId);
    const closed = closedMatchError(match, now);
    if (closed) throw closed;

    const [payer] = await tx.select({ premiumUntil: users.premiumUntil }).from(users).where(eq(users.id, userId));
    const price = extensionPrice(isPremium(payer?.premiumUntil ?? null, now), cost);
    if (price > 0) {
      const paid = await changeCoins(tx as unknown as Db, { userId, amount: -price, reason: "extend", matchId, now });
      if (paid === null) throw insufficientCoins(price);
    }

    const expiresAt = new Date(match.expiresAt.getTime() + EXTENSION_HOURS * 3600_000);
    await tx.update(matches).set({ expiresAt }).where(eq(matches.id, matchId));
    return { matchId, partnerId: match.partnerId, expiresAt, cost: price };
  });
}
