// Payments in Telegram Stars: the orders behind invoices, the charges Telegram reported, and the coin ledger.
import { sql } from "drizzle-orm";
import { bigint, boolean, check, index, integer, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { users } from "./users";

export const ORDER_KINDS = ["coins", "premium"] as const;
export type OrderKind = (typeof ORDER_KINDS)[number];
export const ORDER_STATUSES = ["pending", "paid", "refunded"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * One invoice a user asked for. `id` is random and is the invoice's payload: it names the order
 * without saying whose it is, and cannot be guessed. What it sells and its price are fixed here when
 * the invoice is made, so a later change of the catalog does not change an invoice already out.
 */
export const paymentOrders = pgTable(
  "payment_orders",
  {
    id: text("id").primaryKey(),
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id),
    item: text("item").notNull(),
    kind: text("kind").$type<OrderKind>().notNull(),
    /** Coins a coin pack adds; null for Premium. */
    coins: integer("coins"),
    /** Days of Premium a subscription period adds; null for coins. */
    days: integer("days"),
    stars: integer("stars").notNull(),
    currency: text("currency").notNull().default("XTR"),
    status: text("status").$type<OrderStatus>().notNull().default("pending"),
    invoiceLink: text("invoice_link").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
    paidAt: timestamp("paid_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    check("payment_orders_kind_valid", sql`${t.kind} IN ('coins', 'premium')`),
    check("payment_orders_status_valid", sql`${t.status} IN ('pending', 'paid', 'refunded')`),
    check("payment_orders_stars_positive", sql`${t.stars} > 0`),
    check(
      "payment_orders_goods",
      sql`(${t.kind} = 'coins' AND ${t.coins} > 0 AND ${t.days} IS NULL) OR (${t.kind} = 'premium' AND ${t.days} > 0 AND ${t.coins} IS NULL)`,
    ),
    index("payment_orders_user_idx").on(t.userId, t.createdAt),
  ],
);

export const PAYMENT_STATUSES = ["credited", "unmatched", "refunded"] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/**
 * One Stars charge Telegram reported in a successful_payment. The unique telegram_payment_charge_id
 * is what credits a charge once, whatever Telegram repeats: a second insert of the same charge
 * (another update_id, or the same one delivered at once) does nothing. A charge that matches no
 * order (wrong payer, amount or currency, an order already paid) is kept as `unmatched` with its
 * `problem`, credits nothing, and is for an operator to refund.
 */
export const payments = pgTable(
  "payments",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    chargeId: text("charge_id").notNull(),
    /** The order its payload named, when there is one (even a charge that did not match it). */
    orderId: text("order_id").references(() => paymentOrders.id),
    /** Who paid (the update's from.id); no foreign key: an unmatched charge may come from anyone. */
    userId: bigint("user_id", { mode: "number" }).notNull(),
    payload: text("payload").notNull(),
    currency: text("currency").notNull(),
    stars: integer("stars").notNull(),
    isRecurring: boolean("is_recurring").notNull().default(false),
    status: text("status").$type<PaymentStatus>().notNull(),
    /** Why an unmatched charge credited nothing. */
    problem: text("problem"),
    /** Coins it added, or the Premium end it set. */
    coins: integer("coins"),
    premiumUntil: timestamp("premium_until", { withTimezone: true, mode: "date" }),
    /** Days of Premium it added (taken off again by a refund). */
    days: integer("days"),
    updateId: bigint("update_id", { mode: "number" }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
    refundedAt: timestamp("refunded_at", { withTimezone: true, mode: "date" }),
    /** Coins a refund took back (fewer than `coins` only when forced). */
    coinsTakenBack: integer("coins_taken_back"),
  },
  (t) => [
    uniqueIndex("payments_charge_id_unique").on(t.chargeId),
    check("payments_status_valid", sql`${t.status} IN ('credited', 'unmatched', 'refunded')`),
    check("payments_unmatched_has_problem", sql`${t.status} <> 'unmatched' OR ${t.problem} IS NOT NULL`),
    index("payments_status_idx").on(t.status, t.id),
  ],
);

export const LEDGER_REASONS = ["opening", "purchase", "extend", "operator", "refund"] as const;
export type LedgerReason = (typeof LEDGER_REASONS)[number];

/**
 * Every change of a user's coins, written by the same statement that changes the balance
 * (modules/payments/ledger.ts), so users.coins always equals the sum of the user's rows. `opening`
 * is the balance a user already had when the ledger began.
 */
export const coinLedger = pgTable(
  "coin_ledger",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id),
    amount: integer("amount").notNull(),
    reason: text("reason").$type<LedgerReason>().notNull(),
    /** The charge a purchase or refund was for. */
    chargeId: text("charge_id"),
    /** The match an extend was for (no foreign key: the entry outlives the match). */
    matchId: bigint("match_id", { mode: "number" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [
    check("coin_ledger_amount_non_zero", sql`${t.amount} <> 0`),
    check("coin_ledger_reason_valid", sql`${t.reason} IN ('opening', 'purchase', 'extend', 'operator', 'refund')`),
    index("coin_ledger_user_idx").on(t.userId, t.id),
  ],
);
