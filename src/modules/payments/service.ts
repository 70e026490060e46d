// Invoices: an order stored pending for one catalog item, and its Telegram invoice link (createInvoiceLink).
import { randomBytes } from "node:crypto";
import { and, desc, eq, gt } from "drizzle-orm";
import type { Db } from "../../db/client";
import { paymentOrders, users } from "../../db/schema";
import { AppError, invalidField } from "../../kernel/errors";
import { log } from "../../log";
import { type BotApi, describeFailure } from "../telegram/bot-api";
import { type Offer, SUBSCRIPTION_PERIOD_SECONDS } from "./catalog";

/** The currency of digital goods in a Telegram bot: Telegram Stars. */
export const STARS = "XTR";

/** A pending order younger than this is handed out again for the same item and price instead of a new one. */
const REUSE_PENDING_MS = 24 * 3600_000;

/** How long createInvoiceLink may take before the caller is told to try again. */
const INVOICE_TIMEOUT_MS = 8_000;

/**
 * A new order's id, which is also its invoice payload: 144 random bits, so it cannot be guessed, and
 * it says nothing of whose order it is (the payer is checked against the order's row).
 */
const newOrderId = () => randomBytes(18).toString("base64url");

export const paymentsUnavailable = () =>
  new AppError(503, "payments_unavailable", "Payments are not available right now. Please try again later.");

/**
 * The caller's invoice for `item`: a pending order of theirs for the same item and price made in the
 * last 24 hours, else a new one. The invoice link is asked of Telegram before the order is stored,
 * so a Bot API that fails leaves no order behind.
 */
export async function createInvoice(
  db: Db,
  bot: BotApi,
  offers: readonly Offer[],
  userId: number,
  item: string,
  now = new Date(),
): Promise<{ orderId: string; invoiceLink: string; created: boolean }> {
  const offer = offers.find((candidate) => candidate.item === item);
  if (!offer) throw invalidField("item", `must be one of ${offers.map((candidate) => candidate.item).join(", ")}`);

  const [pending] = await db
    .select({ id: paymentOrders.id, invoiceLink: paymentOrders.invoiceLink })
    .from(paymentOrders)
    .where(
      and(
        eq(paymentOrders.userId, userId),
        eq(paymentOrders.item, offer.item),
        eq(paymentOrders.stars, offer.stars),
        eq(paymentOrders.status, "pending"),
        gt(paymentOrders.createdAt, new Date(now.getTime() - REUSE_PENDING_MS)),
      ),
    )
    .orderBy(desc(paymentOrders.createdAt))
    .limit(1);
  if (pending) return { orderId: pending.id, invoiceLink: pending.invoiceLink, created: false };

  const orderId = newOrderId();
  const outcome = await bot.call(
    "createInvoiceLink",
    {
      title: offer.title,
      description: offer.description,
      payload: orderId,
      provider_token: "",
      currency: STARS,
      prices: [{ label: offer.title, amount: offer.stars }],
      ...(offer.kind === "premium" ? { subscription_period: SUBSCRIPTION_PERIOD_SECONDS } : {}),
    },
    { timeoutMs: INVOICE_TIMEOUT_MS },
  );
  if (outcome.kind !== "ok") {
    log("warn", "payments: createInvoiceLink failed", { outcome: outcome.kind, why: describeFailure(outcome) });
    throw paymentsUnavailable();
  }
  await db.transaction(async (tx) => {
    // The order's user row: someone may buy before saving a profile (coins and Premium live on it).
    await tx.insert(users).values({ id: userId, createdAt: now, updatedAt: now }).onConflictDoNothing();
    await tx.insert(paymentOrders).values({
      id: orderId,
      userId,
      item: offer.item,
      kind: offer.kind,
      coins: offer.coins ?? null,
      days: offer.days ?? null,
      stars: offer.stars,
      currency: STARS,
      invoiceLink: outcome.result,
      createdAt: now,
    });
  });
  return { orderId, invoiceLink: outcome.result, created: true };
}
