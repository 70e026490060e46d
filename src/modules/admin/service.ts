// Operator actions: premium, coin balances, bans, and the report queue.
import { and, desc, eq, lt } from "drizzle-orm";
import type { Db } from "../../db/client";
import { reports, users } from "../../db/schema";
import { AppError } from "../../kernel/errors";
import { changeCoins, MAX_COINS } from "../payments/ledger";
import { userNotFound } from "../rules";
import type { ReportItem, ReportStatus, Verdict } from "./model";

/** Grants premium until `until`, or revokes it with null; a user without a row gets one. */
export async function setPremium(db: Db, userId: number, until: Date | null, now = new Date()): Promise<Date | null> {
  const [row] = await db
    .insert(users)
    .values({ id: userId, premiumUntil: until, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: users.id, set: { premiumUntil: until, updatedAt: now } })
    .returning({ premiumUntil: users.premiumUntil });
  return row!.premiumUntil;
}

const insufficientCoins = () => new AppError(409, "insufficient_coins", "The balance is too low for this debit");

/**
 * An operator's credit (amount > 0) or debit (amount < 0), through the coin ledger: one statement,
 * so concurrent changes never lose an update and a debit never takes the balance below zero. A
 * credit to a user without a row creates it; a debit from one is insufficient_coins.
 */
export async function grantCoins(db: Db, userId: number, amount: number, now = new Date()): Promise<number> {
  const coins = await changeCoins(db, { userId, amount, reason: "operator", now });
  if (coins !== null) return coins;
  if (amount < 0) throw insufficientCoins();
  throw new AppError(409, "balance_limit", `A balance cannot exceed ${MAX_COINS} coins`);
}

/** Sets (hours from now) or lifts (null) a user's ban; an unknown user is 404. */
export async function setBan(
  db: Db,
  userId: number,
  ban: { hours: number; reason: string } | null,
  now = new Date(),
): Promise<Date | null> {
  const [row] = await db
    .update(users)
    .set({
      banUntil: ban && new Date(now.getTime() + ban.hours * 3600_000),
      banReason: ban?.reason ?? null,
      updatedAt: now,
    })
    .where(eq(users.id, userId))
    .returning({ banUntil: users.banUntil });
  if (!row) throw userNotFound();
  return row.banUntil;
}

export interface ReportPage {
  status?: ReportStatus;
  limit: number;
  beforeId?: number;
}

/** One page of reports, newest first, optionally of one status; `hasMore` when older ones exist. */
export async function listReports(db: Db, args: ReportPage): Promise<{ reports: ReportItem[]; hasMore: boolean }> {
  const page = await db
    .select()
    .from(reports)
    .where(
      and(
        args.status === undefined ? undefined : eq(reports.status, args.status),
        args.beforeId === undefined ? undefined : lt(reports.id, args.beforeId),
      ),
    )
    .orderBy(desc(reports.id))
    .limit(args.limit + 1);
  return {
    hasMore: page.length > args.limit,
    reports: page.slice(0, args.limit).map((report) => ({
      report_id: report.id,
      reporter_id: report.reporterId,
      reported_user_id: report.reportedUserId,
      match_id: report.matchId,
      content_type: report.contentType,
      content_id: report.contentId,
      evidence: report.evidence,
      reason: report.reason,
      status: report.status,
      created_at: report.createdAt.toISOString(),
    })),
  };
}

/** Records an operator's verdict on a report; a dismissed report no longer counts towards the auto-ban. */
export async function resolveReport(db: Db, reportId: number, status: Verdict, now = new Date()): Promise<void> {
  const [row] = await db
    .update(reports)
    .set({ status, resolvedAt: now })
    .where(eq(reports.id, reportId))
    .returning({ id: reports.id });
  if (!row) throw new AppError(404, "report_not_found", "Report not found");
}
