// Stars payments end to end on a real app, database and socket, against the fake Bot API server: invoices,
// the checkout, crediting once per charge (replays and concurrent deliveries), Premium, refunds, attacks, metrics.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Update } from "@grammyjs/types";
import { sql } from "drizzle-orm";
import { ADMIN_TOKEN, BOT_TOKEN, countRows, createTestContext, type TestContext } from "../../helpers/app";
import { apiClient, clientWith, ok, settled } from "../../helpers/client";
import { type FakeTelegram, startFakeTelegram } from "../../helpers/fake-telegram";

const SECRET = "payments-webhook-secret_0123456789";
const DAY = 24 * 3600_000;

let fake: FakeTelegram;
let ctx: TestContext;
let base: string;
beforeAll(async () => {
  fake = startFakeTelegram(BOT_TOKEN);
  ctx = await createTestContext({ TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_API_URL: fake.url });
  base = ctx.listen().http;
});
afterAll(async () => {
  await ctx.close();
  await fake.stop();
});

let nextUpdateId = 5_000;
let nextUserId = 40_000_000;
const freshUser = () => nextUserId++;
const admin = () => clientWith(ctx, { authorization: `Bearer ${ADMIN_TOKEN}` });

/** One update to the webhook over a real socket, as Telegram sends it. */
async function deliver(update: Update): Promise<number> {
  const response = await fetch(`${base}/api/telegram/webhook`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
    body: JSON.stringify(update),
  });
  await response.text();
  return response.status;
}

const person = (id: number) => ({ id, is_bot: false, first_name: "Buyer" });

/** Telegram's pre_checkout_query; resolves with the answerPreCheckoutQuery the app gave before replying. */
async function checkout(payerId: number, payload: string, amount: number, currency = "XTR") {
  const queryId = `pcq-${crypto.randomUUID()}`;
  const update = {
    update_id: nextUpdateId++,
    pre_checkout_query: {
      id: queryId,
      from: person(payerId),
      currency,
      total_amount: amount,
      invoice_payload: payload,
    },
  } as Update;
  expect(await deliver(update)).toBe(200);
  // Answered inside the webhook's request: by the time its reply came, the answer was recorded.
  const answers = fake.callsOf("answerPreCheckoutQuery").filter((call) => call.body.pre_checkout_query_id === queryId);
  expect(answers).toHaveLength(1);
  return answers[0]!.body as { pre_checkout_query_id: string; ok: boolean; error_message?: string };
}

interface Paid {
  currency?: string;
  recurring?: boolean;
  first?: boolean;
  updateId?: number;
}

/** Telegram's successful_payment message for a charge. */
const paymentUpdate = (payerId: number, payload: string, amount: number, charge: string, paid: Paid = {}): Update =>
  ({
    update_id: paid.updateId ?? nextUpdateId++,
    message: {
      message_id: 1,
      date: Math.floor(Date.now() / 1000),
      chat: { id: payerId, type: "private", first_name: "Buyer" },
      from: person(payerId),
      successful_payment: {
        currency: paid.currency ?? "XTR",
        total_amount: amount,
        invoice_payload: payload,
        telegram_payment_charge_id: charge,
        provider_payment_charge_id: "",
        ...(paid.recurring ? { is_recurring: true, subscription_expiration_date: 0 } : {}),
        ...(paid.first ? { is_first_recurring: true } : {}),
      },
    },
  }) as Update;

async function invoice(userId: number, item: string) {
  return ok(apiClient(ctx, userId).api.payments.invoice.post({ item }));
}

/** Buys `item` the whole way: invoice, checkout, payment. Returns the order and the charge. */
async function buy(userId: number, item: string) {
  const order = await invoice(userId, item);
  const stars = fake.invoice(order.invoice_link).prices[0].amount;
  expect(await checkout(userId, order.order_id, stars)).toEqual({
    pre_checkout_query_id: expect.any(String),
    ok: true,
  });
  const charge = fake.pay(order.invoice_link, userId);
  expect(await deliver(paymentUpdate(userId, order.order_id, stars, charge))).toBe(200);
  return { ...order, stars, charge };
}

const wallet = (userId: number) => ok(apiClient(ctx, userId).api.mystery.wallet.get({ query: {} }));

async function ledgerSum(userId: number): Promise<{ coins: number; sum: number }> {
  const [row] = await ctx.query<{ coins: number; sum: number }>(
    sql`SELECT u.coins, coalesce((SELECT sum(amount) FROM coin_ledger l WHERE l.user_id = u.id), 0)::int AS sum
        FROM users u WHERE u.id = ${userId}`,
  );
  return row ?? { coins: 0, sum: 0 };
}

const orderStatus = async (orderId: string) =>
  (await ctx.query<{ status: string }>(sql`SELECT status FROM payment_orders WHERE id = ${orderId}`))[0]?.status;

const paymentRow = async (charge: string) =>
  (
    await ctx.query<{ status: string; problem: string | null; user_id: number }>(
      sql`SELECT status, problem, user_id::float8 AS user_id FROM payments WHERE charge_id = ${charge}`,
    )
  )[0];

describe("the catalog", () => {
  test("coin packs from COIN_PACKS and Premium from PREMIUM_MONTH_STARS, without signing in", async () => {
    expect(await ok(apiClient(ctx).api.payments.catalog.get())).toEqual({
      success: true,
      items: [
        { item: "coins_100", title: "100 coins", stars: 50, coins: 100 },
        { item: "coins_550", title: "550 coins", stars: 250, coins: 550 },
        { item: "coins_1200", title: "1200 coins", stars: 500, coins: 1200 },
        { item: "premium_month", title: "Mystery Match Premium", stars: 250, days: 30 },
      ],
    });
  });
});

describe("POST /api/payments/invoice", () => {
  test("a coin pack: createInvoiceLink in XTR, no provider token, one price, an opaque payload; the order is pending", async () => {
    const user = freshUser();
    const order = await invoice(user, "coins_550");
    const params = fake.invoice(order.invoice_link);
    expect(params).toEqual({
      title: "550 coins",
      description: expect.any(String),
      payload: order.order_id,
      provider_token: "",
      currency: "XTR",
      prices: [{ label: "550 coins", amount: 250 }],
    });
    // Opaque: long and random, and the user id is not in it.
    expect(order.order_id).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(order.order_id).not.toContain(String(user));
    expect(await orderStatus(order.order_id)).toBe("pending");
  });

  test("Premium is a 30-day subscription (subscription_period 2592000)", async () => {
    const order = await invoice(freshUser(), "premium_month");
    expect(fake.invoice(order.invoice_link)).toMatchObject({
      currency: "XTR",
      provider_token: "",
      prices: [{ amount: 250 }],
      subscription_period: 2592000,
    });
  });

  test("the same item again gets the same pending order, without another createInvoiceLink", async () => {
    const user = freshUser();
    const first = await invoice(user, "coins_100");
    const calls = fake.callsOf("createInvoiceLink").length;
    expect(await invoice(user, "coins_100")).toEqual(first);
    expect(fake.callsOf("createInvoiceLink")).toHaveLength(calls);
    expect((await invoice(user, "coins_1200")).order_id).not.toBe(first.order_id);
    // Two users never share an order.
    expect((await invoice(freshUser(), "coins_100")).order_id).not.toBe(first.order_id);
  });

  test("refusals: an unknown item is 422, no credential 401, a Bot API that fails 503 with no order kept", async () => {
    const user = freshUser();
    const unknown = await settled(apiClient(ctx, user).api.payments.invoice.post({ item: "coins_999" }));
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ error: "validation_failed", details: [{ field: "item" }] });
    expect((await settled(apiClient(ctx).api.payments.invoice.post({ item: "coins_100" }))).status).toBe(401);
    const bad = await ctx.request("POST", "/api/payments/invoice", { as: user, body: { item: 5 } });
    expect(bad.status).toBe(422);
    const before = await countRows(ctx.db, "payment_orders");
    fake.next("createInvoiceLink", { error: 500, description: "Internal Server Error" });
    const failed = await settled(apiClient(ctx, user).api.payments.invoice.post({ item: "coins_100" }));
    expect(failed).toEqual({
      status: 503,
      body: { success: false, error: "payments_unavailable", message: expect.any(String) },
    });
    expect(await countRows(ctx.db, "payment_orders")).toBe(before);
  });

  test("without the webhook secret nothing is sold (503): nobody would answer the checkout", async () => {
    const other = await createTestContext({ TELEGRAM_API_URL: fake.url });
    try {
      const reply = await settled(apiClient(other, freshUser()).api.payments.invoice.post({ item: "coins_100" }));
      expect(reply.status).toBe(503);
      expect((await ok(apiClient(other).api.payments.catalog.get())).items).toHaveLength(4);
    } finally {
      await other.close();
    }
  });
});

describe("the checkout (pre_checkout_query)", () => {
  test("ok for the payer's own pending order at its price in XTR", async () => {
    const user = freshUser();
    const order = await invoice(user, "coins_100");
    expect((await checkout(user, order.order_id, 50)).ok).toBe(true);
  });

  test("refused, with a reason, for anything else; someone else's order reads like no order at all", async () => {
    const owner = freshUser();
    const stranger = freshUser();
    const order = await invoice(owner, "coins_100");
    const unknown = await checkout(owner, "x".repeat(24), 50);
    const theirs = await checkout(stranger, order.order_id, 50);
    const tampered = await checkout(
      owner,
      `${order.order_id.slice(0, -1)}${order.order_id.endsWith("A") ? "B" : "A"}`,
      50,
    );
    const cheaper = await checkout(owner, order.order_id, 1);
    const otherCurrency = await checkout(owner, order.order_id, 50, "USD");
    for (const answer of [unknown, theirs, tampered, cheaper, otherCurrency]) {
      expect(answer.ok).toBe(false);
      expect(answer.error_message).toEqual(expect.any(String));
    }
    expect(theirs.error_message).toBe(unknown.error_message!);
    expect(tampered.error_message).toBe(unknown.error_message!);
    expect(cheaper.error_message).toContain("price");

    const charge = fake.pay(order.invoice_link, owner);
    expect(await deliver(paymentUpdate(owner, order.order_id, 50, charge))).toBe(200);
    expect(await checkout(owner, order.order_id, 50)).toMatchObject({
      ok: false,
      error_message: expect.stringContaining("paid"),
    });
  });

  test("a checkout is answered even when its update_id was seen before (answering changes nothing)", async () => {
    const user = freshUser();
    const order = await invoice(user, "coins_100");
    const update = {
      update_id: nextUpdateId++,
      pre_checkout_query: {
        id: "pcq-twice",
        from: person(user),
        currency: "XTR",
        total_amount: 50,
        invoice_payload: order.order_id,
      },
    } as Update;
    await deliver(update);
    await deliver(update);
    expect(
      fake.callsOf("answerPreCheckoutQuery").filter((call) => call.body.pre_checkout_query_id === "pcq-twice"),
    ).toHaveLength(2);
  });
});

describe("successful_payment", () => {
  test("a coin pack is credited: the balance, a purchase entry in the wallet, the order paid", async () => {
    const user = freshUser();
    const { order_id, charge } = await buy(user, "coins_550");
    const mine = await wallet(user);
    expect(mine).toMatchObject({ success: true, coins: 550, premium_until: null, has_more: false });
    expect(mine.entries).toEqual([
      { id: expect.any(Number), amount: 550, reason: "purchase", created_at: expect.any(String) },
    ]);
    expect(await orderStatus(order_id)).toBe("paid");
    expect(await paymentRow(charge)).toEqual({ status: "credited", problem: null, user_id: user });
  });

  test("once per charge: the same update again, the same charge in a new update_id, ten at once", async () => {
    const user = freshUser();
    const { order_id, stars, charge } = await buy(user, "coins_100");
    const update = paymentUpdate(user, order_id, stars, charge);
    expect(await deliver(update)).toBe(200);
    expect(await deliver(paymentUpdate(user, order_id, stars, charge))).toBe(200);
    expect((await wallet(user)).coins).toBe(100);

    // Ten concurrent deliveries of a new order's charge: five with one update_id, five each with its own.
    const next = await invoice(user, "coins_1200");
    const second = fake.pay(next.invoice_link, user);
    const sharedId = nextUpdateId++;
    const statuses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        deliver(paymentUpdate(user, next.order_id, 500, second, i < 5 ? { updateId: sharedId } : {})),
      ),
    );
    expect(statuses).toEqual(Array(10).fill(200));
    expect((await wallet(user)).coins).toBe(1300);
    expect(await ctx.query(sql`SELECT count(*)::int AS n FROM payments WHERE charge_id = ${second}`)).toEqual([
      { n: 1 },
    ]);
    expect(await ledgerSum(user)).toEqual({ coins: 1300, sum: 1300 });
  });

  test("Premium: 30 days from now, then from its current end; a renewal (is_recurring) extends again", async () => {
    const user = freshUser();
    await ctx.addUsers({ id: user });
    const before = Date.now();
    const order = await invoice(user, "premium_month");
    expect((await checkout(user, order.order_id, 250)).ok).toBe(true);
    const first = fake.pay(order.invoice_link, user);
    await deliver(paymentUpdate(user, order.order_id, 250, first, { recurring: true, first: true }));
    const once = new Date((await wallet(user)).premium_until!).getTime();
    expect(once).toBeGreaterThanOrEqual(before + 30 * DAY);
    expect(once).toBeLessThanOrEqual(Date.now() + 30 * DAY);
    expect((await ok(apiClient(ctx, user).api.mystery.profile.get())).profile).toMatchObject({
      is_premium: true,
    });

    const renewal = fake.pay(order.invoice_link, user);
    await deliver(paymentUpdate(user, order.order_id, 250, renewal, { recurring: true }));
    const twice = new Date((await wallet(user)).premium_until!).getTime();
    expect(twice).toBe(once + 30 * DAY);
    // Replayed renewal: nothing more.
    await deliver(paymentUpdate(user, order.order_id, 250, renewal, { recurring: true }));
    expect(new Date((await wallet(user)).premium_until!).getTime()).toBe(twice);
    // Premium costs no coins: the ledger has nothing.
    expect((await wallet(user)).entries).toEqual([]);
  });

  test("a lapsed Premium starts again from now, not from its old end", async () => {
    const user = freshUser();
    await ctx.addUsers({ id: user, premiumUntil: new Date(Date.now() - 10 * DAY) });
    const before = Date.now();
    await buy(user, "premium_month");
    const until = new Date((await wallet(user)).premium_until!).getTime();
    expect(until).toBeGreaterThanOrEqual(before + 30 * DAY);
  });

  test("charges that fit no order credit nothing and are kept for operators", async () => {
    const owner = freshUser();
    const stranger = freshUser();
    const order = await invoice(owner, "coins_100");
    const cases = [
      {
        payer: stranger,
        payload: order.order_id,
        amount: 50,
        paid: {},
        problem: "paid by someone else than the order's user",
      },
      { payer: owner, payload: order.order_id, amount: 1, paid: {}, problem: "amount differs from the order's price" },
      { payer: owner, payload: order.order_id, amount: 50, paid: { currency: "USD" }, problem: "currency is not XTR" },
      { payer: owner, payload: "forged-payload", amount: 50, paid: {}, problem: "no such order" },
      // A renewal for a coin pack is no renewal.
      { payer: owner, payload: order.order_id, amount: 50, paid: { recurring: true }, problem: null },
    ];
    const charges: string[] = [];
    for (const { payer, payload, amount, paid, problem } of cases.slice(0, 4)) {
      const charge = `forged-${crypto.randomUUID()}`;
      charges.push(charge);
      expect(await deliver(paymentUpdate(payer, payload, amount, charge, paid))).toBe(200);
      expect(await paymentRow(charge)).toEqual({ status: "unmatched", problem, user_id: payer });
    }
    expect((await wallet(owner)).coins).toBe(0);
    expect((await wallet(stranger)).coins).toBe(0);
    expect(await orderStatus(order.order_id)).toBe("pending");

    // Paid for real, then a second charge for the same coin order (a renewal flag changes nothing): unmatched.
    const real = fake.pay(order.invoice_link, owner);
    await deliver(paymentUpdate(owner, order.order_id, 50, real));
    const again = `again-${crypto.randomUUID()}`;
    await deliver(paymentUpdate(owner, order.order_id, 50, again, cases[4]!.paid));
    expect(await paymentRow(again)).toMatchObject({ status: "unmatched", problem: "order already paid" });
    expect((await wallet(owner)).coins).toBe(100);

    const listed = await ok(admin().api.admin.payments.get({ query: { status: "unmatched" } }));
    expect(listed.payments.map((payment) => payment.charge_id)).toEqual(expect.arrayContaining([...charges, again]));
    expect(listed.payments.find((payment) => payment.charge_id === charges[0])).toMatchObject({
      user_id: stranger,
      order_id: order.order_id,
      item: "coins_100",
      stars: 50,
      status: "unmatched",
      problem: "paid by someone else than the order's user",
      coins: null,
    });
  });
});

describe("refunds (operators)", () => {
  const refund = (charge: string, body: { force?: boolean } = {}) =>
    settled(admin().api.admin.payments({ charge_id: charge }).refund.post(body));

  test("a coin pack: refundStarPayment, the coins taken back with a refund entry, the order refunded", async () => {
    const user = freshUser();
    const { order_id, charge } = await buy(user, "coins_100");
    const reply = await refund(charge);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      success: true,
      payment: { charge_id: charge, status: "refunded", coins_taken_back: 100 },
    });
    expect(fake.callsOf("refundStarPayment").at(-1)!.body).toEqual({
      user_id: user,
      telegram_payment_charge_id: charge,
    });
    expect(fake.refunded.has(charge)).toBe(true);
    const mine = await wallet(user);
    expect(mine.coins).toBe(0);
    expect(mine.entries.map((entry) => [entry.reason, entry.amount])).toEqual([
      ["refund", -100],
      ["purchase", 100],
    ]);
    expect(await orderStatus(order_id)).toBe("refunded");
    expect(await refund(charge)).toMatchObject({ status: 409, body: { error: "already_refunded" } });
    expect(await refund("no-such-charge")).toMatchObject({ status: 404, body: { error: "payment_not_found" } });
  });

  test("coins already spent: 409 and nothing changes; forced, what is left is taken", async () => {
    const user = freshUser();
    const partner = freshUser();
    await ctx.addUsers({ id: user }, { id: partner });
    const { charge } = await buy(user, "coins_100");
    const match = await ctx.addMatch(user, partner);
    await ok(apiClient(ctx, user).api.mystery["extend-match"].post({ match_id: match }));
    expect((await wallet(user)).coins).toBe(50);
    const refusals = fake.callsOf("refundStarPayment").length;
    expect(await refund(charge)).toMatchObject({ status: 409, body: { error: "coins_spent" } });
    expect(fake.callsOf("refundStarPayment")).toHaveLength(refusals);
    expect((await wallet(user)).coins).toBe(50);
    expect(await paymentRow(charge)).toMatchObject({ status: "credited" });

    const forced = await refund(charge, { force: true });
    expect(forced).toMatchObject({ status: 200, body: { payment: { status: "refunded", coins_taken_back: 50 } } });
    expect((await wallet(user)).entries.map((entry) => [entry.reason, entry.amount])).toEqual([
      ["refund", -50],
      ["extend", -50],
      ["purchase", 100],
    ]);
    expect(await ledgerSum(user)).toEqual({ coins: 0, sum: 0 });
  });

  test("Premium: the refund ends the Premium it bought", async () => {
    const user = freshUser();
    await ctx.addUsers({ id: user });
    const { charge } = await buy(user, "premium_month");
    expect(await refund(charge)).toMatchObject({ status: 200, body: { payment: { status: "refunded" } } });
    const until = new Date((await wallet(user)).premium_until!).getTime();
    expect(until).toBeLessThanOrEqual(Date.now());
    expect((await ok(apiClient(ctx, user).api.mystery.profile.get())).profile.is_premium).toBe(false);
  });

  test("Telegram refusing the refund changes nothing (502); an unmatched charge refunds only the Stars", async () => {
    const user = freshUser();
    const { charge } = await buy(user, "coins_100");
    fake.next("refundStarPayment", { error: 400, description: "Bad Request: BALANCE_TOO_LOW" });
    expect(await refund(charge)).toMatchObject({ status: 502, body: { error: "refund_failed" } });
    expect((await wallet(user)).coins).toBe(100);
    expect(await paymentRow(charge)).toMatchObject({ status: "credited" });

    const order = await invoice(user, "coins_550");
    const wrong = fake.pay(order.invoice_link, user);
    await deliver(paymentUpdate(user, order.order_id, 1, wrong));
    expect(await refund(wrong)).toMatchObject({
      status: 200,
      body: { payment: { status: "refunded", coins_taken_back: null } },
    });
    expect((await wallet(user)).coins).toBe(100);
  });

  test("refunded_payment from Telegram (a refund made elsewhere) takes back what is left, once; after ours, nothing more", async () => {
    const refundedUpdate = (userId: number, charge: string, stars: number, payload: string): Update =>
      ({
        update_id: nextUpdateId++,
        message: {
          message_id: 2,
          date: Math.floor(Date.now() / 1000),
          chat: { id: userId, type: "private", first_name: "Buyer" },
          from: person(userId),
          refunded_payment: {
            currency: "XTR",
            total_amount: stars,
            invoice_payload: payload,
            telegram_payment_charge_id: charge,
          },
        },
      }) as Update;
    const user = freshUser();
    const partner = freshUser();
    await ctx.addUsers({ id: user }, { id: partner });
    const bought = await buy(user, "coins_100");
    await ok(apiClient(ctx, user).api.mystery["extend-match"].post({ match_id: await ctx.addMatch(user, partner) }));
    expect(await deliver(refundedUpdate(user, bought.charge, bought.stars, bought.order_id))).toBe(200);
    expect(await deliver(refundedUpdate(user, bought.charge, bought.stars, bought.order_id))).toBe(200);
    expect(await paymentRow(bought.charge)).toMatchObject({ status: "refunded" });
    expect((await wallet(user)).entries.map((entry) => [entry.reason, entry.amount])).toEqual([
      ["refund", -50],
      ["extend", -50],
      ["purchase", 100],
    ]);

    const again = await buy(user, "coins_550");
    expect(await refund(again.charge)).toMatchObject({ status: 200 });
    expect(await deliver(refundedUpdate(user, again.charge, again.stars, again.order_id))).toBe(200);
    expect(await deliver(refundedUpdate(user, "never-charged", 1, "x"))).toBe(200);
    expect(await ledgerSum(user)).toEqual({ coins: 0, sum: 0 });
    expect((await wallet(user)).entries).toHaveLength(5);
  });

  test("operator routes need the admin token", async () => {
    expect((await settled(apiClient(ctx, freshUser()).api.admin.payments.get({ query: {} }))).status).toBe(401);
    const refused = await ctx.request("POST", "/api/admin/payments/x/refund", { as: freshUser(), body: {} });
    expect(refused.status).toBe(401);
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const badBody = await ctx.request("POST", "/api/admin/payments/x/refund", {
      headers: auth,
      body: { force: "yes" },
    });
    expect(badBody.status).toBe(422);
    const badCharge = await ctx.request("POST", "/api/admin/payments/a%20b/refund", { headers: auth, body: {} });
    expect(badCharge.status).toBe(422);
    const badStatus = await ctx.request("GET", "/api/admin/payments?status=lost", { headers: auth });
    expect(badStatus.status).toBe(422);
  });
});

describe("the ledger", () => {
  test("balance equals the ledger's sum after concurrent purchases, extends and grants", async () => {
    const users = [freshUser(), freshUser(), freshUser()];
    const partner = freshUser();
    await ctx.addUsers(...users.map((id) => ({ id })), { id: partner });
    const matches = await Promise.all(users.map((user) => ctx.addMatch(user, partner)));
    const orders = await Promise.all(
      users.flatMap((user) => ["coins_100", "coins_550"].map((item) => invoice(user, item))),
    );
    const work: Promise<unknown>[] = [];
    orders.forEach((order, i) => {
      const user = users[Math.floor(i / 2)]!;
      const stars = fake.invoice(order.invoice_link).prices[0].amount;
      work.push(deliver(paymentUpdate(user, order.order_id, stars, fake.pay(order.invoice_link, user))));
    });
    users.forEach((user, i) => {
      for (let k = 0; k < 4; k++) {
        work.push(settled(apiClient(ctx, user).api.mystery["extend-match"].post({ match_id: matches[i]! })));
        work.push(
          settled(
            admin()
              .api.admin.users({ user_id: user })
              .coins.post({ amount: k % 2 === 0 ? 30 : -20 }),
          ),
        );
      }
    });
    await Promise.all(work);
    for (const user of users) {
      const { coins, sum } = await ledgerSum(user);
      expect(coins).toBe(sum);
      expect(coins).toBeGreaterThanOrEqual(0);
      expect((await wallet(user)).coins).toBe(coins);
    }
  });

  test("the wallet pages by before_id, newest first", async () => {
    const user = freshUser();
    for (let i = 0; i < 55; i++)
      await ok(
        admin()
          .api.admin.users({ user_id: user })
          .coins.post({ amount: i + 1 }),
      );
    const first = await wallet(user);
    expect(first.entries).toHaveLength(50);
    expect(first.has_more).toBe(true);
    expect(first.entries[0]!.amount).toBe(55);
    const rest = await ok(
      apiClient(ctx, user).api.mystery.wallet.get({ query: { before_id: first.entries.at(-1)!.id } }),
    );
    expect(rest.entries.map((entry) => entry.amount)).toEqual([5, 4, 3, 2, 1]);
    expect(rest.has_more).toBe(false);
    expect(first.coins).toBe((55 * 56) / 2);
    expect((await settled(apiClient(ctx).api.mystery.wallet.get({ query: {} }))).status).toBe(401);
    expect((await ctx.request("GET", "/api/mystery/wallet?before_id=abc", { as: user })).status).toBe(422);
  });
});

test("/metrics counts orders and credited Stars", async () => {
  const read = async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
    return { orders: value("mystery_match_payment_orders"), stars: value("mystery_match_stars_credited") };
  };
  const before = await read();
  expect(before.orders).toBeGreaterThanOrEqual(0);
  await buy(freshUser(), "coins_1200");
  const after = await read();
  expect(after).toEqual({ orders: before.orders + 1, stars: before.stars + 500 });
});
