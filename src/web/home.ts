// The home screen: your profile, find a match (with the daily quota), the match list, and the open chat.
import type { FindMatchInput, MatchListItem, Stats } from "../modules/matches/model";
import type { OwnProfile } from "../modules/profiles/model";
import { ApiError, client, ok } from "./api";
import { byId, fill, h } from "./dom";
import { humanError } from "./errors";
import { partnerName, plural, quotaText, timeLeft } from "./format";
import { toast } from "./ui";

/** What the home screen needs from an open chat. */
export interface OpenChat {
  readonly matchId: number;
  /** The list's view of this match (authoritative counts, e.g. after messages sent elsewhere). */
  sync(item: MatchListItem): void;
  close(): void;
  tick(): void;
}

type ChatFactory = (matchId: number, partnerLabel: string) => OpenChat;

const LIST_POLL_MS = 10_000;

export class Home {
  profile: OwnProfile | null = null;
  stats: Stats | null = null;
  matches: MatchListItem[] = [];
  chat: OpenChat | null = null;
  private timers: number[] = [];
  private refreshing: number | null = null;
  private readonly abort = new AbortController();

  constructor(
    readonly userId: number,
    private readonly createChat: ChatFactory,
  ) {}

  async open(): Promise<void> {
    byId("whoami").textContent = `You are user ${this.userId}`;
    this.bindForms();
    this.showEmptyChat();
    await this.loadProfile();
    await Promise.all([this.loadStats(), this.loadMatches()]);
    this.timers.push(window.setInterval(() => void this.loadMatches(), LIST_POLL_MS));
    this.timers.push(window.setInterval(() => this.tick(), 1000));
  }

  close(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.chat?.close();
    this.chat = null;
    this.abort.abort();
  }

  /** Every second: the time left on each match and the open chat's countdowns. */
  private tick(): void {
    for (const item of this.matches) {
      const cell = document.querySelector(`[data-time-left="${item.match_id}"]`);
      if (cell) cell.textContent = timeLeft(item.expires_at);
    }
    this.chat?.tick();
  }

  private bindForms(): void {
    const { signal } = this.abort;
    byId<HTMLFormElement>("profile-form").addEventListener("submit", (e) => this.saveProfile(e), { signal });
    byId<HTMLFormElement>("find-form").addEventListener("submit", (e) => this.findMatch(e), { signal });
    byId("refresh").addEventListener("click", () => void this.loadMatches(), { signal });
  }

  // ---- profile --------------------------------------------------------------------------------

  async loadProfile(): Promise<void> {
    const form = byId<HTMLFormElement>("profile-form");
    try {
      const { profile } = await ok(client.api.mystery.profile.get());
      this.profile = profile;
      const set = (name: string, value: string) => {
        (form.elements.namedItem(name) as HTMLInputElement).value = value;
      };
      set("gender", profile.gender);
      set("age", String(profile.age));
      set("city", profile.city ?? "");
      set("bio", profile.bio ?? "");
      set("interests", profile.interests.join(", "));
      set("photo_url", profile.photo_url ?? "");
      byId("profile-intro").hidden = true;
      byId<HTMLDetailsElement>("profile-box").open = false;
    } catch (error) {
      if (!(error instanceof ApiError && error.code === "user_not_found")) {
        toast(humanError(error), "error");
        return;
      }
      this.profile = null;
      form.reset();
      byId("profile-intro").hidden = false;
      byId<HTMLDetailsElement>("profile-box").open = true;
    }
    this.showAccount();
  }

  private showAccount(): void {
    const p = this.profile;
    const parts: string[] = [];
    if (p) {
      parts.push(p.is_premium ? "Premium member." : `${plural(p.coins, "coin")}.`);
      if (p.is_banned && p.ban_until) parts.push(`Suspended until ${new Date(p.ban_until).toLocaleString()}.`);
    }
    byId("account").textContent = parts.join(" ");
    byId<HTMLFieldSetElement>("premium-filters").disabled = !p?.is_premium;
    byId("premium-filters").title = p?.is_premium ? "" : "Gender and city filters are for Premium members";
  }

  private async saveProfile(event: Event): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const text = (name: string) => String(data.get(name) ?? "").trim();
    const interests = text("interests")
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
    const status = byId("profile-status");
    if (interests.length > 10) {
      status.textContent = "Up to 10 interests, please.";
      return;
    }
    try {
      const { profile } = await ok(
        client.api.mystery.profile.put({
          gender: text("gender") as OwnProfile["gender"],
          age: Number(text("age")),
          city: text("city") || null,
          bio: text("bio") || null,
          interests,
          photo_url: text("photo_url") || null,
        }),
      );
      this.profile = profile;
      byId("profile-intro").hidden = true;
      status.textContent = "Saved.";
      this.showAccount();
      void this.loadStats();
      setTimeout(() => {
        if (status.textContent === "Saved.") status.textContent = "";
      }, 3000);
    } catch (error) {
      status.textContent = humanError(error);
    }
  }

  // ---- find a match ---------------------------------------------------------------------------

  async loadStats(): Promise<void> {
    try {
      this.stats = await ok(client.api.mystery.stats({ user_id: this.userId }).get());
      byId("quota").textContent = quotaText(this.stats);
    } catch (error) {
      byId("quota").textContent = error instanceof ApiError && error.code === "user_not_found" ? "" : humanError(error);
    }
  }

  private async findMatch(event: Event): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const errorBox = byId("find-error");
    errorBox.textContent = "";
    const youngest = Number(data.get("preferred_age_min") || 18);
    const oldest = Number(data.get("preferred_age_max") || 100);
    const body: FindMatchInput = { preferred_age_min: youngest, preferred_age_max: oldest };
    if (this.profile?.is_premium) {
      const gender = data.get("preferred_gender");
      if (gender) body.preferred_gender = gender as OwnProfile["gender"];
      const city = String(data.get("preferred_city") ?? "").trim();
      if (city) body.preferred_city = city;
    }
    if (youngest > oldest) {
      errorBox.textContent = "The youngest age can't be above the oldest.";
      return;
    }
    try {
      const found = await ok(client.api.mystery["find-match"].post(body));
      toast("It's a match! Say hello.");
      await Promise.all([this.loadStats(), this.loadMatches()]);
      this.openChat(found.match_id);
    } catch (error) {
      errorBox.textContent = humanError(error, { dailyLimit: this.stats?.daily_limit });
      await Promise.all([this.loadStats(), this.loadMatches()]);
    }
  }

  // ---- match list -----------------------------------------------------------------------------

  async loadMatches(): Promise<void> {
    try {
      const reply = await ok(client.api.mystery["my-matches"]({ user_id: this.userId }).get());
      this.matches = reply.matches;
      const open = this.matches.find((item) => item.match_id === this.chat?.matchId);
      if (open) this.chat?.sync(open);
      this.renderMatches();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) toast(humanError(error), "error");
    }
  }

  /** Reloads the list soon, once for a burst of events. */
  refreshSoon(): void {
    if (this.refreshing !== null) return;
    this.refreshing = window.setTimeout(() => {
      this.refreshing = null;
      void this.loadMatches();
      void this.loadStats();
    }, 800);
  }

  private renderMatches(): void {
    const list = byId("match-list");
    if (this.matches.length === 0) {
      fill(list, h("li", { class: "empty" }, "No matches yet. Find one above."));
      return;
    }
    fill(
      list,
      ...this.matches.map((item) => {
        const current = this.chat?.matchId === item.match_id;
        const unread = current ? 0 : item.unread_count;
        return h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: "match",
              "data-match": item.match_id,
              "aria-current": current ? "true" : null,
              onclick: () => this.openChat(item.match_id),
            },
            h("span", { class: "match-name" }, partnerName(item.partner)),
            h("span", { class: "level", title: "Unlock level" }, `Level ${item.unlock_level}/4`),
            unread > 0
              ? h("span", { class: "badge", "aria-label": plural(unread, "unread message") }, String(unread))
              : null,
            h(
              "span",
              { class: "match-meta" },
              `${plural(item.message_count, "message")} · `,
              h("span", { "data-time-left": item.match_id }, timeLeft(item.expires_at)),
              item.secret_chat_active ? " · secret chat on" : "",
            ),
          ),
        );
      }),
    );
  }

  // ---- the chat panel -------------------------------------------------------------------------

  openChat(matchId: number): void {
    if (this.chat?.matchId === matchId) return;
    this.chat?.close();
    const item = this.matches.find((match) => match.match_id === matchId);
    this.chat = this.createChat(matchId, item ? partnerName(item.partner) : "Mystery match");
    this.renderMatches();
    // On a narrow screen the chat sits below the lists: bring it into view.
    if (window.matchMedia("(max-width: 760px)").matches) byId("chat").scrollIntoView({ block: "start" });
  }

  /** The chat was closed by its own controls (after unmatch or block). */
  chatClosed(matchId: number): void {
    if (this.chat?.matchId === matchId) this.chat = null;
    this.refreshSoon();
  }

  showEmptyChat(): void {
    fill(
      byId("chat"),
      h(
        "div",
        { class: "chat-empty" },
        h("h2", {}, "No chat open"),
        h("p", {}, "Pick a match from the list, or find a new one. Their profile unlocks as you talk."),
      ),
    );
  }
}
