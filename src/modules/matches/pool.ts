// Searching now: find-match with wait_seconds waits in the pool until a later searcher pairs with it.
import { sql } from "drizzle-orm";
import { type Db, rows } from "../../db/client";
import type { Realtime } from "../../realtime";
import { poolTopic } from "../../realtime/topics";
import { photoLinks } from "../photos/token";
import { partnerView, unlockState } from "../profiles/unlock";
import type { FindMatchInput } from "./model";
import { type Found, findMatch, loadParticipantMatch, type MatchRules, noMatchesFound } from "./service";

/**
 * find-match, waiting up to `input.wait_seconds` when nobody fits at once. The caller then sits in
 * the pool (find_match put them there); a later searcher who fits pairs with them in their own
 * find_match and publishes `new_match` on the caller's pool topic (through the Bus, so from any
 * process), which wakes this request: it takes its pool row out and answers with the match seen
 * from its own side. At the end of the wait, or when `signal` fires (the client went away), the row
 * is taken out; a match written on it meanwhile is still the answer, else 404 no_matches_found.
 */
export async function findOrWait(
  db: Db,
  { bus, local }: Pick<Realtime, "bus" | "local">,
  rules: MatchRules,
  userId: number,
  input: FindMatchInput,
  signal: AbortSignal,
): Promise<Found> {
  const seconds = input.wait_seconds ?? 0;
  const now = new Date();
  if (seconds === 0) return (await findMatch(db, rules, userId, input, now))!;

  const ticket = crypto.randomUUID();
  const until = new Date(now.getTime() + seconds * 1000);
  // Listening (and, across processes, subscribed to the user's events) before joining: a pairing
  // right after the join cannot be missed.
  await bus.claim(userId);
  let signalled = false;
  let wake = () => {};
  const stop = local.listen(poolTopic(userId), (event) => {
    if (event.type !== "new_match") return;
    signalled = true;
    wake();
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const found = await findMatch(db, rules, userId, input, now, { ticket, until });
    if (found !== null) return found;
    const ended = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, until.getTime() - Date.now());
      if (signal.aborted) resolve();
      else signal.addEventListener("abort", () => resolve(), { once: true });
    });
    let over = false;
    void ended.then(() => {
      over = true;
      wake();
    });
    while (!over) {
      if (!signalled) await new Promise<void>((resolve) => (wake = resolve));
      if (over) break;
      signalled = false;
      const matchId = await leavePool(db, userId, ticket, true);
      if (matchId !== null) return await foundFromPool(db, rules, userId, matchId);
    }
    const matchId = await leavePool(db, userId, ticket, false);
    if (matchId !== null) return await foundFromPool(db, rules, userId, matchId);
    throw noMatchesFound();
  } finally {
    clearTimeout(timer);
    stop();
    bus.release(userId);
  }
}

/**
 * Takes this request's row out of the pool (only once paired, with `pairedOnly`) and gives the match
 * a later searcher wrote on it, or null. A row a newer request of the same user replaced is not ours.
 */
async function leavePool(db: Db, userId: number, ticket: string, pairedOnly: boolean): Promise<number | null> {
  const [row] = await rows<{ matchId: number | null }>(
    db,
    sql`DELETE FROM match_pool WHERE user_id = ${userId} AND ticket = ${ticket}
          AND (${!pairedOnly}::boolean OR match_id IS NOT NULL)
        RETURNING match_id AS "matchId"`,
  );
  return row?.matchId ?? null;
}

/** The match a later searcher made with the waiting caller, as find-match's reply from the caller's side. */
async function foundFromPool(db: Db, rules: MatchRules, userId: number, matchId: number): Promise<Found> {
  const now = new Date();
  const match = await loadParticipantMatch(db, matchId, userId, now);
  const state = unlockState(match, rules.unlockThresholds, match.viewerIsPremium);
  return {
    reply: {
      success: true,
      match_id: match.id,
      expires_at: match.expiresAt.toISOString(),
      is_premium: match.viewerIsPremium,
      ...state,
      partner: partnerView(
        match.partner,
        state.unlock_level,
        photoLinks(rules.jwtSecret).linkFor(userId, match.id, now),
      ),
    },
    partnerId: match.partner.id,
    fromPool: false,
  };
}
