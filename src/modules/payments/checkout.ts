// The webhook's side of a payment: the pre-checkout answer, and crediting a successful_payment exactly once.
import type { Message, PreCheckoutQuery, SuccessfulPayment } from "@grammyjs/types";
import { eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { paymentOrders, payments, users } from "../../db/schema";
import { log } from "../../log";
import { premiumExtendedSql } from "../rules";
import type { BotApi } from "../telegram/bot-api";
import { describeFailure } from "../telegram/bot-api";
import { changeCoins } from "./ledger";
import { STARS } from "./service";

type Order = typeof paymentOrders.$inferSelect;

/** Why a charge does not fit its order; each is also what an operator reads on an unmatched payment. */
export type OrderProblem =
  | "no such order"
  | "paid by someone else than the order's user"
  | "currency is not XTR"
  | "amount differs from the order's price"
  | "order already paid"
  | "order refunded";

/** What a payment (or the checkout before it) says about itself. */
export interface Charge {
  readonly payerId: number;
  readonly currency: string;
  readonly amount: number;
}

/**
 * Whether `charge` may pay `order`: the order exists, belongs to the payer, and the currency and
 * amount are the order's own; a pending order only (a renewal's charge is checked by `renewalOf`).
 */
export function orderProblem(order: Order | undefined, charge: Charge): OrderProblem | null {
  if (!order) return "no such order";
  if (order.userId !== charge.payerId) return "paid by someone else than the order's user";
  if (charge.currency !== STARS || order.currency !== STARS) return "currency is not XTR";
  if (charge.amount !== order.stars) return "amount differs from the order's price";
  if (order.status === "paid") return "order already paid";
  if (order.status === "refunded") return "order refunded";
  return null;
}

/**
 * What Telegram shows the payer when the checkout is refused. Someone else's order and no order at
 * all read the same: the answer never tells a stranger that an order id exists.
 */
const CHECKOUT_REFUSALS: Record<OrderProblem, string> = {
  "no such order": "This invoice isn't valid for your account. Please open the shop in Mystery Match again.",
  "paid by someone else than the order's user":
    "This invoice isn't valid for your account. Please open the shop in Mystery Match again.",
  "currency is not XTR": "This invoice's price doesn't match. Please open the shop in Mystery Match again.",
  "amount differs from the order's price":
    "This invoice's price doesn't match. Please open the shop in Mystery Match again.",
  "order already paid": "This invoice has already been paid.",
  "order refunded": "This invoice is no longer valid. Please open the shop in Mystery Match again.",
};

/** Telegram waits 10 s for the answer; the answer itself gets at most this long. */
const ANSWER_TIMEOUT_MS = 5_000;

const orderById = async (db: Db, payload: string, lock: boolean): Promise<Order | undefined> => {
  const query = db.select().from(paymentOrders).where(eq(paymentOrders.id, payload));
  const [order] = await (lock ? query.for("update") : query);
  return order;
};

/**
 * Answers a pre_checkout_query with answerPreCheckoutQuery, awaited before the webhook replies:
 * ok only for the payer's own pending order at its price in Stars. It changes nothing, so it needs
 * no update_id deduplication: a repeated query is answered again the same way.
 */
export async function answerPreCheckout(db: Db, bot: BotApi, query: PreCheckoutQuery): Promise<void> {
  const problem =
    typeof query.invoice_payload === "string" && typeof query.from?.id === "number"
      ? orderProblem(await orderById(db, query.invoice_payload, false), {
          payerId: query.from.id,
          currency: query.currency,
          amount: query.total_amount,
        })
      : "no such order";
  const outcome = await bot.call(
    "answerPreCheckoutQuery",
    problem === null
      ? { pre_checkout_query_id: query.id, ok: true }
      : { pre_checkout_query_id: query.id, ok: false, error_message: CHECKOUT_REFUSALS[problem] },
    { timeoutMs: ANSWER_TIMEOUT_MS },
  );
  if (problem !== null) log("info", "payments: checkout refused", { problem });
  if (outcome.kind !== "ok")
    log("warn", "payments: answerPreCheckoutQuery failed", { outcome: outcome.kind, why: describeFailure(outcome) });
}

/** A successful_payment as far as it can be trusted to have its fields (the update is read defensively). */
function wellFormed(payment: SuccessfulPayment | undefined): payment is SuccessfulPayment {
  return (
    typeof payment === "object" &&
    payment !== null &&
    typeof payment.telegram_payment_charge_id === "string" &&
    /^[A-Za-z0-9_.:-]{1,255}$/.test(payment.telegram_payment_charge_id) &&
    typeof payment.invoice_payload === "string" &&
    typeof payment.currency === "string" &&
    Number.isSafeInteger(payment.total_amount)
  );
}

/** A renewal: a subscription's later charge (not its first) for a Premium order already paid. */
const isRenewal = (order: Order | undefined, payment: SuccessfulPayment): boolean =>
  order?.kind === "premium" && order.status === "paid" && payment.is_recurring === true && !payment.is_first_recurring;

export type Credited =
  | { readonly kind: "coins"; readonly coins: number; readonly stars: number }
  | { readonly kind: "premium"; readonly premiumUntil: Date; readonly stars: number }
  | { readonly kind: "unmatched"; readonly problem: string }
  | { readonly kind: "duplicate" };

/**
 * Records a successful_payment inside the webhook's transaction and credits it exactly once per
 * telegram_payment_charge_id. The order row is locked first, so two charges for one order are
 * judged one after the other; then the charge's row is inserted, and the unique charge_id decides:
 * a charge already recorded (another update_id, or a concurrent delivery that committed first)
 * inserts nothing and credits nothing. A charge that does not fit its order is kept as unmatched,
 * for an operator, and credits nothing.
 */
export async function recordPayment(db: Db, updateId: number, message: Message, now = new Date()): Promise<Credited> {
  const payment = message.successful_payment;
  const payerId = message.from?.id ?? message.chat?.id;
  if (!wellFormed(payment) || typeof payerId !== "number") {
    log("warn", "payments: a successful_payment without its fields was ignored", { updateId });
    return { kind: "unmatched", problem: "malformed" };
  }
  const order = await orderById(db, payment.invoice_payload.slice(0, 128), true);
  const charge = { payerId, currency: payment.currency, amount: payment.total_amount };
  const renewal = isRenewal(order, payment) && orderProblem({ ...order!, status: "pending" }, charge) === null;
  const problem = renewal ? null : orderProblem(order, charge);
  const [row] = await db
    .insert(payments)
    .values({
      chargeId: payment.telegram_payment_charge_id,
      orderId: order?.id ?? null,
      userId: payerId,
      payload: payment.invoice_payload.slice(0, 256),
      currency: payment.currency.slice(0, 16),
      stars: payment.total_amount,
      isRecurring: payment.is_recurring === true,
      status: problem === null ? "credited" : "unmatched",
      problem,
      updateId,
      createdAt: now,
    })
    .onConflictDoNothing({ target: payments.chargeId })
    .returning({ id: payments.id });
  if (!row) return { kind: "duplicate" };
  if (problem !== null || !order) {
    log("warn", "payments: a charge matched no order and credited nothing", { paymentId: row.id, problem });
    return { kind: "unmatched", problem: problem ?? "no such order" };
  }

  if (order.status === "pending") {
    await db.update(paymentOrders).set({ status: "paid", paidAt: now }).where(eq(paymentOrders.id, order.id));
  }
  if (order.kind === "coins") {
    const coins = order.coins!;
    const balance = await changeCoins(db, {
      userId: order.userId,
      amount: coins,
      reason: "purchase",
      chargeId: payment.telegram_payment_charge_id,
      now,
    });
    if (balance === null) {
      // Past the largest balance: nothing is credited, and the charge waits for an operator's refund.
      const why = "the balance would pass its limit";
      await db.update(payments).set({ status: "unmatched", problem: why }).where(eq(payments.id, row.id));
      return { kind: "unmatched", problem: why };
    }
    await db.update(payments).set({ coins }).where(eq(payments.id, row.id));
    return { kind: "coins", coins, stars: order.stars };
  }
  const days = order.days!;
  const [user] = await db
    .update(users)
    .set({ premiumUntil: premiumExtendedSql(users, now, days), updatedAt: now })
    .where(eq(users.id, order.userId))
    .returning({ premiumUntil: users.premiumUntil });
  const premiumUntil = user!.premiumUntil!;
  await db.update(payments).set({ premiumUntil, days }).where(eq(payments.id, row.id));
  return { kind: "premium", premiumUntil, stars: order.stars };
}

/** For metrics: orders made, orders paid, Stars credited and refunded, charges left unmatched (database totals). */
export async function paymentTotals(db: Db): Promise<Record<string, number>> {
  const [row] = await db
    .select({
      orders: sql<number>`(SELECT count(*) FROM ${paymentOrders})::float8`,
      paid: sql<number>`(SELECT count(*) FROM ${paymentOrders} WHERE ${paymentOrders.status} <> 'pending')::float8`,
      credited: sql<number>`coalesce(sum(${payments.stars}) FILTER (WHERE ${payments.status} <> 'unmatched' AND (${payments.coins} IS NOT NULL OR ${payments.days} IS NOT NULL)), 0)::float8`,
      refunded: sql<number>`coalesce(sum(${payments.stars}) FILTER (WHERE ${payments.refundedAt} IS NOT NULL), 0)::float8`,
      unmatched: sql<number>`count(*) FILTER (WHERE ${payments.problem} IS NOT NULL)::float8`,
    })
    .from(payments);
  return {
    orders: Number(row?.orders ?? 0),
    paid: Number(row?.paid ?? 0),
    credited: Number(row?.credited ?? 0),
    refunded: Number(row?.refunded ?? 0),
    unmatched: Number(row?.unmatched ?? 0),
  };
}
