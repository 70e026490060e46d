// Payment request and response schemas: the catalog, invoices, the wallet, and the operator's payment list.
import { t } from "elysia";
import { LEDGER_REASONS, PAYMENT_STATUSES } from "../../db/schema";
import { Id, IntegerParam, NullableTimestamp, SafeString, Timestamp } from "../../kernel/schemas";

export const CatalogItem = t.Object({
  item: t.String({ description: "What to buy: coins_<amount> or premium_month" }),
  title: t.String(),
  stars: t.Integer({ minimum: 1, description: "Price in Telegram Stars (XTR)" }),
  coins: t.Optional(t.Integer({ minimum: 1, description: "Coins a coin pack adds" })),
  days: t.Optional(t.Integer({ minimum: 1, description: "Days of Premium a subscription period adds" })),
});
export type CatalogItem = typeof CatalogItem.static;

export const Catalog = t.Object({ success: t.Literal(true), items: t.Array(CatalogItem) });

export const InvoiceInput = t.Object({
  item: SafeString({ minLength: 1, maxLength: 64, description: "An item of GET /api/payments/catalog" }),
});

export const Invoice = t.Object({
  success: t.Literal(true),
  order_id: t.String({ description: "The order, pending until Telegram reports the payment" }),
  invoice_link: t.String({ description: "Open with Telegram.WebApp.openInvoice, or as a link outside Telegram" }),
});

const [OPENING, PURCHASE, EXTEND, OPERATOR, REFUND] = LEDGER_REASONS;
const LedgerReason = t.Union(
  [t.Literal(OPENING), t.Literal(PURCHASE), t.Literal(EXTEND), t.Literal(OPERATOR), t.Literal(REFUND)],
  { description: "opening (the balance before the ledger began), purchase, extend, operator, refund" },
);

export const WalletQuery = t.Object({
  before_id: t.Optional(IntegerParam("Entries older than this one (the last id of the page you have)")),
});

export const Wallet = t.Object({
  success: t.Literal(true),
  coins: t.Integer({ minimum: 0 }),
  premium_until: NullableTimestamp("Premium until this time; null or past: not Premium"),
  entries: t.Array(
    t.Object({
      id: Id("Ledger entry id"),
      amount: t.Integer({ description: "Coins added (positive) or taken (negative)" }),
      reason: LedgerReason,
      created_at: Timestamp(),
    }),
    { description: "Newest first, 50 at a time" },
  ),
  has_more: t.Boolean({ description: "Older entries exist: ask again with before_id" }),
});
export type Wallet = typeof Wallet.static;

// Not t.UnionEnum: it gives the schema a default (its first value), which would fill the optional filter.
const [CREDITED, UNMATCHED, REFUNDED] = PAYMENT_STATUSES;
const PaymentStatus = t.Union([t.Literal(CREDITED), t.Literal(UNMATCHED), t.Literal(REFUNDED)], {
  description: "credited, unmatched (credited nothing; see problem) or refunded",
});

export const PaymentsQuery = t.Object({
  status: t.Optional(PaymentStatus),
  limit: t.Optional(IntegerParam("Page size, 1..200 (default 50)")),
  before_id: t.Optional(IntegerParam("Payments with a smaller id (the last id of the page you have)")),
});

export const PaymentItem = t.Object({
  payment_id: Id("Payment id"),
  charge_id: t.String({ description: "telegram_payment_charge_id" }),
  user_id: Id("Who paid"),
  order_id: t.Nullable(t.String()),
  item: t.Nullable(t.String({ description: "The order's item" })),
  stars: t.Integer(),
  currency: t.String(),
  is_recurring: t.Boolean({ description: "A subscription's charge (its renewals too)" }),
  status: PaymentStatus,
  problem: t.Nullable(t.String({ description: "Why an unmatched charge credited nothing" })),
  coins: t.Nullable(t.Integer({ description: "Coins it added" })),
  premium_until: NullableTimestamp("The Premium end it set"),
  created_at: Timestamp(),
  refunded_at: NullableTimestamp(),
  coins_taken_back: t.Nullable(t.Integer({ description: "Coins its refund took back" })),
});
export type PaymentItem = typeof PaymentItem.static;

export const PaymentList = t.Object({
  success: t.Literal(true),
  payments: t.Array(PaymentItem, { description: "Newest first" }),
  has_more: t.Boolean({ description: "Older payments exist: ask again with before_id" }),
});

export const ChargeParams = t.Object({
  charge_id: t.String({ minLength: 1, maxLength: 255, pattern: "^[A-Za-z0-9_.:-]+$", description: "The charge" }),
});

export const RefundInput = t.Object({
  force: t.Optional(t.Boolean({ description: "Refund even when the coins were spent: take back what is left" })),
});

export const Refunded = t.Object({ success: t.Literal(true), payment: PaymentItem });
