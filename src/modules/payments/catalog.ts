// What is for sale, from the settings: the coin packs (COIN_PACKS) and Premium (PREMIUM_MONTH_STARS).
import type { Config } from "../../config";
import type { OrderKind } from "../../db/schema";
import type { CatalogItem } from "./model";

/** Premium is a Stars subscription; Telegram renews it every 30 days, the one period it allows. */
export const PREMIUM_DAYS = 30;
export const SUBSCRIPTION_PERIOD_SECONDS = PREMIUM_DAYS * 24 * 3600;
export const PREMIUM_ITEM = "premium_month";

/** An item as an order stores it: what it is and sells, its price, and the invoice's texts. */
export interface Offer extends CatalogItem {
  readonly kind: OrderKind;
  readonly description: string;
}

/** The catalog in the settings' order: coin packs, then Premium. */
export function offersOf(config: Pick<Config, "coinPacks" | "premiumMonthStars">): Offer[] {
  const packs = config.coinPacks.map<Offer>((pack) => ({
    item: `coins_${pack.coins}`,
    kind: "coins",
    title: `${pack.coins} coins`,
    description: `${pack.coins} Mystery Match coins: keep a match going longer with Extend.`,
    stars: pack.stars,
    coins: pack.coins,
  }));
  const premium: Offer = {
    item: PREMIUM_ITEM,
    kind: "premium",
    title: "Mystery Match Premium",
    description: `${PREMIUM_DAYS} days of Premium, renewed monthly: unlimited matches, filters, whole profiles, free extends.`,
    stars: config.premiumMonthStars,
    days: PREMIUM_DAYS,
  };
  return [...packs, premium];
}

/** The catalog as GET /api/payments/catalog shows it. */
export const catalogItems = (offers: readonly Offer[]): CatalogItem[] =>
  offers.map(({ item, title, stars, coins, days }) => ({
    item,
    title,
    stars,
    ...(coins === undefined ? {} : { coins }),
    ...(days === undefined ? {} : { days }),
  }));
