// What operators do with payments: list them (unmatched ones included) and refund a charge with refundStarPayment.
import type { RefundedPayment } from "@grammyjs/types";
import { and, desc, eq, lt } from "drizzle-orm";
import type { Db } from "../../db/client";
import { type PaymentStatus, paymentOrders, payments, users } from "../../db/schema";
import { AppError } from "../../kernel/errors";
import { log } from "../../log";
import { premiumRefundedSql } from "../rules";
import { type BotApi, describeFailure } from "../telegram/bot-api";
import { changeCoins } from "./ledger";
import type { PaymentItem } from "./model";

const columns = {
  id: payments.id,
  chargeId: payments.chargeId,
  userId: payments.userId,
  orderId: payments.orderId,
  item: paymentOrders.item,
  stars: payments.stars,
  currency: payments.currency,
  isRecurring: payments.isRecurring,
  status: payments.status,
  problem: payments.problem,
  coins: payments.coins,
  premiumUntil: payments.premiumUntil,
  createdAt: payments.createdAt,
  refundedAt: payments.refundedAt,
  coinsTakenBack: payments.coinsTakenBack,
};

const paymentsWithItems = (db: Db) =>
  db.select(columns).from(payments).leftJoin(paymentOrders, eq(paymentOrders.id, payments.orderId));

type Row = Awaited<ReturnType<ReturnType<typeof paymentsWithItems>["execute"]>>[number];

const itemOf = (row: Row): PaymentItem => ({
  payment_id: row.id,
  charge_id: row.chargeId,
  user_id: row.userId,
  order_id: row.orderId,
  item: row.item,
  stars: row.stars,
  currency: row.currency,
  is_recurring: row.isRecurring,
  status: row.status,
  problem: row.problem,
  coins: row.coins,
  premium_until: row.premiumUntil?.toISOString() ?? null,
  created_at: row.createdAt.toISOString(),
  refunded_at: row.refundedAt?.toISOString() ?? null,
  coins_taken_back: row.coinsTakenBack,
});

/** One page of charges, newest first, optionally of one status; `hasMore` when older ones exist. */
export async function listPayments(
  db: Db,
  args: { status?: PaymentStatus; limit: number; beforeId?: number },
): Promise<{ payments: PaymentItem[]; hasMore: boolean }> {
  const page = await paymentsWithItems(db)
    .where(
      and(
        args.status === undefined ? undefined : eq(payments.status, args.status),
        args.beforeId === undefined ? undefined : lt(payments.id, args.beforeId),
      ),
    )
    .orderBy(desc(payments.id))
    .limit(args.limit + 1);
  return { hasMore: page.length > args.limit, payments: page.slice(0, args.limit).map(itemOf) };
}

/** Telegram's answer to refunding a charge it refunded before: the Stars are back with the payer either way. */
const ALREADY_REFUNDED = /CHARGE_ALREADY_REFUNDED/i;

type Payment = typeof payments.$inferSelect;

/**
 * Undoes what a locked, not yet refunded charge gave and marks it refunded: its coins go back (409
 * coins_spent when the user no longer has them all, unless `force`: then what is left), or its days
 * come off Premium; an unmatched charge gave nothing. A coin pack's order is done with; a
 * subscription's order stays paid, so its renewals still credit.
 */
async function takeBack(db: Db, payment: Payment, force: boolean, now: Date): Promise<void> {
  let coinsTakenBack: number | null = null;
  if (payment.status === "credited" && payment.coins !== null) {
    const [user] = await db
      .select({ coins: users.coins })
      .from(users)
      .where(eq(users.id, payment.userId))
      .for("update");
    const balance = user?.coins ?? 0;
    if (balance < payment.coins && !force) {
      throw new AppError(
        409,
        "coins_spent",
        `The user has ${balance} of the ${payment.coins} coins this payment added; refund with {"force": true} to take back what is left`,
      );
    }
    coinsTakenBack = Math.min(balance, payment.coins);
    if (coinsTakenBack > 0) {
      const chargeId = payment.chargeId;
      await changeCoins(db, { userId: payment.userId, amount: -coinsTakenBack, reason: "refund", chargeId, now });
    }
    if (payment.orderId !== null) {
      await db.update(paymentOrders).set({ status: "refunded" }).where(eq(paymentOrders.id, payment.orderId));
    }
  }
  if (payment.status === "credited" && payment.days !== null) {
    await db
      .update(users)
      .set({ premiumUntil: premiumRefundedSql(users, now, payment.days), updatedAt: now })
      .where(eq(users.id, payment.userId));
  }
  await db
    .update(payments)
    .set({ status: "refunded", refundedAt: now, coinsTakenBack })
    .where(eq(payments.id, payment.id));
}

const lockPayment = async (db: Db, chargeId: string): Promise<Payment | undefined> =>
  (await db.select().from(payments).where(eq(payments.chargeId, chargeId)).for("update"))[0];

/**
 * An operator's refund: takeBack, then refundStarPayment, in one transaction holding the charge's
 * row, committed only once Telegram has refunded: a refund Telegram refuses changes nothing here, and
 * two refunds of one charge cannot both run.
 */
export async function refundPayment(
  db: Db,
  bot: BotApi,
  chargeId: string,
  force: boolean,
  now = new Date(),
): Promise<PaymentItem> {
  await db.transaction(async (tx) => {
    const txDb = tx as unknown as Db;
    const payment = await lockPayment(txDb, chargeId);
    if (!payment) throw new AppError(404, "payment_not_found", "No payment has this charge id");
    if (payment.status === "refunded") throw new AppError(409, "already_refunded", "This payment was refunded already");
    await takeBack(txDb, payment, force, now);
    const outcome = await bot.call("refundStarPayment", {
      user_id: payment.userId,
      telegram_payment_charge_id: chargeId,
    });
    const refunded =
      outcome.kind === "ok" || (outcome.kind === "rejected" && ALREADY_REFUNDED.test(outcome.description));
    if (!refunded) {
      log("warn", "payments: refundStarPayment failed", { outcome: outcome.kind, why: describeFailure(outcome) });
      throw new AppError(502, "refund_failed", `Telegram did not refund the charge: ${describeFailure(outcome)}`);
    }
  });
  const [row] = await paymentsWithItems(db).where(eq(payments.chargeId, chargeId));
  return itemOf(row!);
}

/**
 * Telegram's refunded_payment: a charge refunded some other way than our refund route (our own
 * refunds are marked already, and change nothing more). The Stars are back with the payer, so what
 * the charge gave is taken back as a forced refund would; an unknown charge changes nothing.
 */
export async function recordRefund(db: Db, refund: RefundedPayment | undefined, now = new Date()): Promise<void> {
  if (typeof refund?.telegram_payment_charge_id !== "string") return;
  const payment = await lockPayment(db, refund.telegram_payment_charge_id);
  if (!payment || payment.status === "refunded") return;
  log("warn", "payments: a charge was refunded outside the refund route", { paymentId: payment.id });
  await takeBack(db, payment, true, now);
}
