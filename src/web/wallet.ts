// Coins and Premium: the wallet panel (balance, Premium, coin history) and the shop, paid in Telegram Stars —
// inside Telegram with Telegram.WebApp.openInvoice, outside it through the invoice's t.me link.
import type { CatalogItem, Wallet as WalletReply } from "../modules/payments/model";
import { ApiError, client, ok } from "./api";
import { fill, h } from "./dom";
import { humanError } from "./errors";
import { plural } from "./format";
import { type PanelContext, registerPanel } from "./panels";
import { ask, toast } from "./ui";

/** How openInvoice's callback ends (telegram-web-app.js). */
type InvoiceStatus = "paid" | "cancelled" | "failed" | "pending";

interface InvoiceOpener {
  openInvoice?(url: string, callback?: (status: InvoiceStatus) => void): void;
}

/** Telegram's WebApp when the page runs inside Telegram and can open invoices there, else null. */
function invoiceOpener(): Required<InvoiceOpener> | null {
  const webApp = (window as { Telegram?: { WebApp?: InvoiceOpener & { initData?: string } } }).Telegram?.WebApp;
  return webApp?.initData && typeof webApp.openInvoice === "function" ? (webApp as Required<InvoiceOpener>) : null;
}

/** What a ledger entry was, as a person reads it. */
const REASONS: Record<WalletReply["entries"][number]["reason"], string> = {
  opening: "Balance before the history began",
  purchase: "Bought with Telegram Stars",
  extend: "Extended a match",
  operator: "Changed by support",
  refund: "Refunded purchase",
};

/** After a payment Telegram reports it to the server; the wallet is asked again until it shows. */
const CREDIT_CHECKS = 10;
const CREDIT_CHECK_MS = 1000;

const dateTime = (at: string) =>
  new Date(at).toLocaleString(undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });

let current: WalletCard | null = null;

/**
 * The wallet panel: balance and Premium, "Get coins" and "Get Premium", the coin history 50 entries
 * at a time. One per signed-in page; `openShop` and `purchaseOffer` reach it from elsewhere.
 */
class WalletCard {
  private host: HTMLElement | null = null;
  private context: PanelContext | null = null;
  private wallet: WalletReply | null = null;
  private older: WalletReply["entries"] = [];
  private hasOlder = false;
  private catalog: CatalogItem[] | null = null;
  private stopped = false;

  mount(host: HTMLElement, context: PanelContext): void {
    current = this;
    host.setAttribute("aria-labelledby", "wallet-h");
    host.classList.add("wallet");
    this.host = host;
    this.context = context;
    void this.load();
  }

  unmount(): void {
    this.stopped = true;
    if (current === this) current = null;
  }

  /** Reloads the balance and the newest entries (the older pages already shown are dropped). */
  async load(): Promise<void> {
    try {
      this.wallet = await ok(client.api.mystery.wallet.get({ query: {} }));
      this.older = [];
      this.hasOlder = this.wallet.has_more;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) toast(humanError(error), "error");
    }
    this.render();
  }

  private async loadOlder(): Promise<void> {
    const last = [...(this.wallet?.entries ?? []), ...this.older].at(-1);
    if (!last) return;
    try {
      const page = await ok(client.api.mystery.wallet.get({ query: { before_id: last.id } }));
      this.older.push(...page.entries);
      this.hasOlder = page.has_more;
    } catch (error) {
      toast(humanError(error), "error");
    }
    this.render();
  }

  private render(): void {
    if (!this.host || this.stopped) return;
    const wallet = this.wallet;
    const premiumUntil = wallet?.premium_until ? new Date(wallet.premium_until) : null;
    const premium = premiumUntil !== null && premiumUntil > new Date();
    const entries = [...(wallet?.entries ?? []), ...this.older];
    fill(
      this.host,
      h("h2", { id: "wallet-h" }, "Coins & Premium"),
      h(
        "p",
        { class: "balance" },
        wallet ? `You have ${plural(wallet.coins, "coin")}.` : "Loading your balance…",
        " ",
        premium
          ? `Premium until ${premiumUntil.toLocaleDateString(undefined, { day: "numeric", month: "long" })}.`
          : "",
      ),
      h(
        "div",
        { class: "wallet-buttons" },
        h("button", { type: "button", class: "primary", onclick: () => void this.shop("coins") }, "Get coins"),
        h(
          "button",
          { type: "button", onclick: () => void this.shop("premium") },
          premium ? "You're Premium" : "Get Premium",
        ),
      ),
      h(
        "details",
        { class: "history" },
        h("summary", {}, "Coin history"),
        entries.length === 0
          ? h("p", { class: "hint" }, "No coins have come or gone yet.")
          : h(
              "ul",
              { class: "ledger" },
              ...entries.map((entry) =>
                h(
                  "li",
                  {},
                  h(
                    "span",
                    { class: entry.amount > 0 ? "amount plus" : "amount minus" },
                    entry.amount > 0 ? `+${entry.amount}` : `−${-entry.amount}`,
                  ),
                  h("span", { class: "what" }, REASONS[entry.reason]),
                  h("time", { datetime: entry.created_at }, dateTime(entry.created_at)),
                ),
              ),
            ),
        this.hasOlder
          ? h("button", { type: "button", class: "link", onclick: () => void this.loadOlder() }, "Show older")
          : null,
      ),
    );
  }

  /** The shop: coin packs or Premium, then the invoice. */
  async shop(kind: "coins" | "premium"): Promise<void> {
    const until = this.wallet?.premium_until;
    if (kind === "premium" && until && new Date(until) > new Date()) {
      // A second subscription would charge twice a month: Premium is bought again once it has ended.
      const date = new Date(until).toLocaleDateString(undefined, { day: "numeric", month: "long" });
      await ask(
        "You're Premium",
        [
          h("p", {}, `Premium runs until ${date}.`),
          h("p", { class: "hint" }, "A subscription renews itself every 30 days; you manage it in Telegram."),
        ],
        "OK",
      );
      return;
    }
    try {
      this.catalog ??= (await ok(client.api.payments.catalog.get())).items;
    } catch (error) {
      toast(humanError(error), "error");
      return;
    }
    const items = this.catalog.filter((item) =>
      kind === "coins" ? item.coins !== undefined : item.days !== undefined,
    );
    if (items.length === 0) return;
    const premium = items[0]!;
    const body =
      kind === "coins"
        ? [
            h("p", {}, "Coins keep a match going: Extend adds 24 hours. Paid in Telegram Stars."),
            h(
              "fieldset",
              { class: "packs" },
              h("legend", {}, "Choose a pack"),
              ...items.map((item, i) =>
                h(
                  "label",
                  { class: "pack" },
                  h("input", { type: "radio", name: "item", value: item.item, checked: i === 0 }),
                  h("span", {}, plural(item.coins!, "coin")),
                  h("span", { class: "stars" }, plural(item.stars, "Star")),
                ),
              ),
            ),
          ]
        : [
            h("p", {}, "Unlimited matches a day, gender and city filters, whole profiles at once, and free extends."),
            h(
              "p",
              { class: "price" },
              `${plural(premium.stars, "Telegram Star")} for ${premium.days} days, renewed monthly.`,
            ),
            h("p", { class: "hint" }, "Cancel any time in Telegram."),
          ];
    const answer = await ask(
      kind === "coins" ? "Get coins" : "Get Premium",
      body,
      kind === "coins" ? "Pay with Stars" : `Pay ${plural(premium.stars, "Star")}`,
    );
    if (!answer) return;
    const item = kind === "coins" ? String(answer.get("item") ?? items[0]!.item) : premium.item;
    await this.pay(item);
  }

  private async pay(item: string): Promise<void> {
    let link: string;
    try {
      link = (await ok(client.api.payments.invoice.post({ item }))).invoice_link;
    } catch (error) {
      toast(humanError(error), "error");
      return;
    }
    const telegram = invoiceOpener();
    if (telegram) {
      telegram.openInvoice(link, (status) => {
        if (status === "paid") {
          void this.awaitCredit();
        } else if (status === "failed") toast("The payment didn't go through. Nothing was charged.", "error");
      });
      return;
    }
    // Outside Telegram the invoice is a t.me link: it opens Telegram, where the payment happens.
    const paid = await ask(
      "Pay in Telegram",
      [
        h("p", {}, "Stars are paid in Telegram. Open the invoice there, pay, then come back."),
        h(
          "p",
          {},
          h(
            "a",
            { href: link, target: "_blank", rel: "noopener", class: "invoice-link" },
            "Open the invoice in Telegram",
          ),
        ),
      ],
      "I've paid",
    );
    if (paid) await this.awaitCredit();
  }

  /** Asks for the wallet until the payment shows (Telegram tells the server on its own time). */
  private async awaitCredit(): Promise<void> {
    const before = JSON.stringify([this.wallet?.coins, this.wallet?.premium_until]);
    for (let i = 0; i < CREDIT_CHECKS && !this.stopped; i++) {
      await this.load();
      if (JSON.stringify([this.wallet?.coins, this.wallet?.premium_until]) !== before) {
        const until = this.wallet?.premium_until;
        const premium = until && new Date(until) > new Date() ? ` Premium until ${dateTime(until)}.` : "";
        toast(`Thank you! You have ${plural(this.wallet?.coins ?? 0, "coin")} now.${premium}`);
        await this.context?.reloadProfile();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, CREDIT_CHECK_MS));
    }
    if (!this.stopped) toast("Telegram hasn't confirmed the payment yet. Your coins appear here as soon as it does.");
  }
}

/** Opens the shop of the signed-in page (from a message that says what is missing). */
export function openShop(kind: "coins" | "premium"): void {
  void current?.shop(kind);
}

/**
 * A "Get coins" or "Get Premium" button inside the open dialog: it closes that dialog (as Cancel
 * does) and then opens the shop in it.
 */
export function shopButton(kind: "coins" | "premium", label: string): HTMLElement {
  return h(
    "button",
    {
      type: "button",
      class: "link",
      onclick: (event: Event) => {
        const dialog = (event.target as HTMLElement).closest("dialog");
        if (!dialog) return openShop(kind);
        dialog.addEventListener("close", () => setTimeout(() => openShop(kind)), { once: true });
        dialog.close();
      },
    },
    label,
  );
}

/**
 * The way out of an error that money solves: "Get Premium" for the daily limit, "Get coins" for
 * an extend without enough coins; null for any other error.
 */
export function purchaseOffer(error: unknown): { label: string; run: () => void } | null {
  if (!(error instanceof ApiError)) return null;
  if (error.code === "daily_limit_reached") return { label: "Get Premium", run: () => openShop("premium") };
  if (error.code === "insufficient_coins") return { label: "Get coins", run: () => openShop("coins") };
  return null;
}

// Between "your profile" (10) and "find a match" (20): coins and Premium are what the limits below ask for.
registerPanel({
  id: "wallet",
  order: 35,
  mount: (host, context) => new WalletCard().mount(host, context),
  profileChanged: () => void current?.load(),
  unmount: () => current?.unmount(),
});
