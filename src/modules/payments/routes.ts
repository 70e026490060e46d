// Payments in Telegram Stars: the catalog, invoices and the caller's wallet; the operator's payment list and refunds.
import { Elysia } from "elysia";
import type { StoredMetric } from "../../kernel/metrics";
import { errors, inRange } from "../../kernel/schemas";
import { adminPlugin } from "../admin/routes";
import { authPlugin } from "../auth/plugin";
import type { AppDeps } from "../deps";
import { createBotApi } from "../telegram/bot-api";
import { catalogItems, offersOf } from "./catalog";
import { paymentTotals } from "./checkout";
import { walletOf } from "./ledger";
import {
  Catalog,
  ChargeParams,
  Invoice,
  InvoiceInput,
  PaymentList,
  PaymentsQuery,
  Refunded,
  RefundInput,
  Wallet,
  WalletQuery,
} from "./model";
import { listPayments, refundPayment } from "./refunds";
import { createInvoice, paymentsUnavailable } from "./service";

const tags = ["payments"];

/**
 * Invoices need the bot (TELEGRAM_BOT_TOKEN) and its webhook (TELEGRAM_WEBHOOK_SECRET): without the
 * webhook nobody would answer the checkout or credit the payment. Without them, POST /invoice is 503.
 */
export const paymentRoutes = (deps: AppDeps) => {
  const { db, config, activity } = deps;
  const offers = offersOf(config);
  const catalog = { success: true as const, items: catalogItems(offers) };
  const token = config.telegramBotToken;
  const bot = token === null ? null : createBotApi({ apiUrl: config.telegramApiUrl, token });
  const selling = bot !== null && config.telegramWebhookSecret !== null;
  return new Elysia({ name: "payments" })
    .use(authPlugin(config, activity))
    .use(adminPlugin(deps))
    .get("/api/payments/catalog", () => catalog, {
      response: { 200: Catalog },
      detail: {
        tags,
        summary: "What can be bought, in Telegram Stars",
        description: "Coin packs (COIN_PACKS) and Premium, a 30-day subscription (PREMIUM_MONTH_STARS).",
      },
    })
    .post(
      "/api/payments/invoice",
      async ({ userId, body }) => {
        if (!selling) throw paymentsUnavailable();
        const invoice = await createInvoice(db, bot, offers, userId, body.item);
        return { success: true as const, order_id: invoice.orderId, invoice_link: invoice.invoiceLink };
      },
      {
        auth: true,
        body: InvoiceInput,
        response: { 200: Invoice, ...errors(400, 401, 413, 422, 503) },
        detail: {
          tags,
          summary: "An invoice link for one catalog item",
          description:
            "Calls Telegram's createInvoiceLink (XTR; Premium as a 30-day subscription) and stores the order as " +
            "pending; the same item asked for again within a day gets the same pending order. Open the link " +
            "with Telegram.WebApp.openInvoice. 503 when the bot is not configured or Telegram does not answer.",
        },
      },
    )
    .get(
      "/api/mystery/wallet",
      async ({ userId, query }) => {
        const beforeId = query.before_id === undefined ? undefined : inRange("before_id", query.before_id);
        const wallet = await walletOf(db, userId, beforeId);
        return {
          success: true as const,
          coins: wallet.coins,
          premium_until: wallet.premiumUntil?.toISOString() ?? null,
          entries: wallet.entries,
          has_more: wallet.hasMore,
        };
      },
      {
        auth: true,
        query: WalletQuery,
        response: { 200: Wallet, ...errors(401, 422) },
        detail: {
          tags,
          summary: "Your coins, Premium end and coin history",
          description: "Every change of your coins, newest first, 50 at a time (before_id pages).",
        },
      },
    )
    .get(
      "/api/admin/payments",
      async ({ query }) => {
        const page = await listPayments(db, {
          status: query.status,
          limit: inRange("limit", query.limit ?? 50, 1, 200),
          beforeId: query.before_id === undefined ? undefined : inRange("before_id", query.before_id),
        });
        return { success: true as const, payments: page.payments, has_more: page.hasMore };
      },
      {
        admin: true,
        query: PaymentsQuery,
        response: { 200: PaymentList, ...errors(401, 404, 422, 429) },
        detail: {
          tags: ["admin"],
          summary: "Stars payments, newest first, optionally of one status",
          description:
            "unmatched: a charge that fit no order (see problem); it credited nothing and waits for a refund.",
        },
      },
    )
    .post(
      "/api/admin/payments/:charge_id/refund",
      async ({ params, body }) => {
        if (bot === null) throw paymentsUnavailable();
        const payment = await refundPayment(db, bot, params.charge_id, body?.force === true);
        return { success: true as const, payment };
      },
      {
        admin: true,
        params: ChargeParams,
        body: RefundInput,
        response: { 200: Refunded, ...errors(400, 401, 404, 409, 413, 422, 429, 502, 503) },
        detail: {
          tags: ["admin"],
          summary: "Refund a charge with refundStarPayment",
          description:
            "Takes back the coins it added, or ends the Premium it bought (its days come off). 409 coins_spent " +
            'when the user no longer has all the coins, unless {"force": true}: then what is left is taken. ' +
            "409 already_refunded; 502 when Telegram refuses (nothing changes).",
        },
      },
    );
};

/** /metrics: the payments' database totals (the same on every process). */
export function paymentMetrics(deps: Pick<AppDeps, "db">): StoredMetric[] {
  // One query per scrape, shared by the five series.
  let totals: Promise<Record<string, number>> | null = null;
  const read = (key: string) => async () => {
    totals ??= paymentTotals(deps.db).finally(() => queueMicrotask(() => (totals = null)));
    return (await totals)[key] ?? 0;
  };
  return [
    { name: "mystery_match_payment_orders", help: "Invoices made (orders stored).", key: "orders" },
    { name: "mystery_match_payment_orders_paid", help: "Orders paid (refunded ones included).", key: "paid" },
    { name: "mystery_match_stars_credited", help: "Telegram Stars of charges credited.", key: "credited" },
    { name: "mystery_match_stars_refunded", help: "Telegram Stars refunded.", key: "refunded" },
    {
      name: "mystery_match_payments_unmatched",
      help: "Charges that fit no order and credited nothing.",
      key: "unmatched",
    },
  ].map(({ name, help, key }) => ({ name, type: "gauge" as const, help, value: read(key) }));
}
