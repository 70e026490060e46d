// The "Find a match" card: the age range, Premium's filters, today's quota, the search (up to 20 s, cancellable), refusals in plain words.
import type { FindMatchInput, FoundMatch, Stats } from "../modules/matches/model";
import type { OwnProfile } from "../modules/profiles/model";
import { ApiError, client, ok } from "./api";
import { byId, h } from "./dom";
import { humanError } from "./errors";
import { quotaText } from "./format";
import { purchaseOffer } from "./wallet";

/** How long a search waits in the pool of people searching right now when nobody fits at once. */
const WAIT_SECONDS = 20;

export class FindPanel {
  stats: Stats | null = null;
  private premium = false;
  private search: AbortController | null = null;

  constructor(
    private readonly userId: number,
    signal: AbortSignal,
    private readonly found: (match: FoundMatch) => void,
    /** After a request, found or not: the list and the quota may have changed. */
    private readonly settled: () => void,
  ) {
    byId<HTMLFormElement>("find-form").addEventListener("submit", (event) => void this.find(event), { signal });
    byId("find-cancel").addEventListener("click", () => this.search?.abort(), { signal });
    signal.addEventListener("abort", () => this.search?.abort());
  }

  /** A request is on its way (its own new_match event may come before its reply). */
  get isSearching(): boolean {
    return this.search !== null;
  }

  /** The "Searching…" state: the button gives way to a spinner and Cancel while the request waits. */
  private searching(on: boolean): void {
    byId("searching").hidden = !on;
    byId<HTMLButtonElement>("find-submit").hidden = on;
  }

  /** The profile changed: Premium's filters, and an error that a saved profile resolves. */
  profileChanged(profile: OwnProfile | null): void {
    this.premium = profile?.is_premium ?? false;
    byId<HTMLFieldSetElement>("premium-filters").disabled = !this.premium;
    byId("premium-filters").title = this.premium ? "" : "Gender and city filters are for Premium members";
    if (profile) byId("find-error").textContent = "";
    void this.loadStats();
  }

  async loadStats(): Promise<void> {
    try {
      this.stats = await ok(client.api.mystery.stats({ user_id: this.userId }).get());
      byId("quota").textContent = quotaText(this.stats);
    } catch (error) {
      byId("quota").textContent = error instanceof ApiError && error.code === "user_not_found" ? "" : humanError(error);
    }
  }

  private async find(event: Event): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const errorBox = byId("find-error");
    errorBox.textContent = "";
    const youngest = Number(data.get("preferred_age_min") || 18);
    const oldest = Number(data.get("preferred_age_max") || 100);
    const body: FindMatchInput = { preferred_age_min: youngest, preferred_age_max: oldest, wait_seconds: WAIT_SECONDS };
    if (this.premium) {
      const gender = data.get("preferred_gender");
      if (gender) body.preferred_gender = gender as OwnProfile["gender"];
      const city = String(data.get("preferred_city") ?? "").trim();
      if (city) body.preferred_city = city;
    }
    if (youngest > oldest) {
      errorBox.textContent = "The youngest age can't be above the oldest.";
      return;
    }
    if (this.search) return;
    const search = new AbortController();
    this.search = search;
    this.searching(true);
    try {
      this.found(await ok(client.api.mystery["find-match"].post(body, { fetch: { signal: search.signal } })));
    } catch (error) {
      errorBox.textContent = search.signal.aborted
        ? "Search cancelled."
        : humanError(error, { dailyLimit: this.stats?.daily_limit });
      const offer = search.signal.aborted ? null : purchaseOffer(error);
      if (offer) errorBox.append(" ", h("button", { type: "button", class: "link", onclick: offer.run }, offer.label));
    } finally {
      this.search = null;
      this.searching(false);
    }
    void this.loadStats();
    this.settled();
  }
}
