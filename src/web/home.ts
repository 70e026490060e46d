// The signed-in page: the list screen's cards (profile, find a match, matches, plug-in panels), the
// open chat, and the user-wide events (new_match, match_ended) that keep the list live.
import type { EndReason } from "../kernel/events";
import type { MatchListItem } from "../modules/matches/model";
import type { OwnProfile } from "../modules/profiles/model";
import { ApiError, client, ok } from "./api";
import { byId, fill, h } from "./dom";
import { EndedMatches } from "./ended-matches";
import { humanError } from "./errors";
import { FindPanel } from "./find-panel";
import { ENDED_WHY, renderMatchList, tickMatchList } from "./match-list";
import { type PanelContext, registeredPanels } from "./panels";
import { ProfileForm } from "./profile-form";
import { Screens } from "./screens";
import { toast } from "./ui";

/** What the home screen needs from an open chat. */
export interface OpenChat {
  readonly matchId: number;
  /** A socket is open: it brings the user-wide events, so the list needs no polling. */
  readonly live: boolean;
  /** The list's view of this match (authoritative counts, e.g. after messages sent elsewhere). */
  sync(item: MatchListItem): void;
  /** The chat became visible (or hidden): it marks messages read only while seen. */
  visibilityChanged(): void;
  close(): void;
  tick(): void;
}

type ChatFactory = (matchId: number) => OpenChat;

/** Without an open socket the list is polled this often; with one, events keep it current. */
const LIST_POLL_MS = 10_000;

export class Home {
  matches: MatchListItem[] = [];
  chat: OpenChat | null = null;
  readonly screens: Screens;
  readonly profileForm: ProfileForm;
  readonly find: FindPanel;
  private readonly ended: EndedMatches;
  private timers: number[] = [];
  private refreshing: number | null = null;
  private lastFound: number | null = null;
  private readonly abort = new AbortController();

  constructor(
    readonly userId: number,
    private readonly createChat: ChatFactory,
  ) {
    const { signal } = this.abort;
    this.ended = new EndedMatches(userId);
    this.screens = new Screens(() => {
      this.chat?.visibilityChanged();
      this.renderMatches();
    });
    this.find = new FindPanel(
      userId,
      signal,
      (found) => {
        this.lastFound = found.match_id;
        toast("It's a match! Say hello.");
        void this.loadMatches().then(() => this.openChat(found.match_id));
      },
      () => this.refreshSoon(),
    );
    this.profileForm = new ProfileForm(signal, (profile) => this.profileChanged(profile));
    byId("refresh").addEventListener("click", () => void this.loadMatches(), { signal });
  }

  get profile(): OwnProfile | null {
    return this.profileForm.profile;
  }

  async open(): Promise<void> {
    byId("whoami").textContent = `You are user ${this.userId}`;
    this.showEmptyChat();
    this.mountPanels();
    await this.profileForm.load();
    await this.loadMatches();
    this.timers.push(window.setInterval(() => this.chat?.live || void this.loadMatches(), LIST_POLL_MS));
    this.timers.push(window.setInterval(() => this.tick(), 1000));
  }

  close(): void {
    for (const timer of this.timers) clearInterval(timer);
    for (const panel of registeredPanels()) panel.unmount?.();
    this.chat?.close();
    this.chat = null;
    this.screens.close();
    this.abort.abort();
  }

  loadProfile(): Promise<void> {
    return this.profileForm.load();
  }

  private profileChanged(profile: OwnProfile | null): void {
    this.find.profileChanged(profile);
    for (const panel of registeredPanels()) panel.profileChanged?.(profile);
  }

  private mountPanels(): void {
    const context: PanelContext = {
      userId: this.userId,
      profile: () => this.profile,
      reloadProfile: () => this.loadProfile(),
      reloadMatches: () => this.refreshSoon(),
      openMatch: (matchId) => this.openMatch(matchId),
    };
    const container = byId("panels");
    for (const panel of [...registeredPanels()].sort((a, b) => a.order - b.order)) {
      const host = h("section", { class: "card panel", "data-panel": panel.id, "data-order": panel.order });
      const after = [...container.children].find((child) => Number((child as HTMLElement).dataset.order) > panel.order);
      container.insertBefore(host, after ?? null);
      void panel.mount(host, context);
    }
  }

  /** Every second: the time left on each match and the open chat's countdowns. */
  private tick(): void {
    tickMatchList(this.matches);
    this.chat?.tick();
  }

  async loadMatches(): Promise<void> {
    try {
      const reply = await ok(client.api.mystery["my-matches"]({ user_id: this.userId }).get());
      this.matches = reply.matches;
      for (const item of this.matches) this.ended.delete(item.match_id);
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
      void this.find.loadStats();
    }, 500);
  }

  /** A user-wide event from the open chat's socket. */
  newMatch(matchId: number): void {
    // The one this user just found has had its own "It's a match!".
    if (!this.find.isSearching && matchId !== this.lastFound) toast("You have a new match!");
    this.refreshSoon();
  }

  /** A match ended (seen on any socket, or by the open chat): the list keeps it, saying why. */
  matchEnded(matchId: number, reason: EndReason | null, said?: string): void {
    const known = this.ended.get(matchId);
    const item = this.matches.find((match) => match.match_id === matchId) ?? known?.item;
    // Reopening an ended match (to read it) keeps the reason it first ended with.
    if (item && !(known && reason === null))
      this.ended.set(matchId, { item, why: said ?? (reason ? ENDED_WHY[reason] : "This chat has ended.") });
    this.matches = this.matches.filter((match) => match.match_id !== matchId);
    this.renderMatches();
    this.refreshSoon();
  }

  private renderMatches(): void {
    const current = this.chat && this.screens.chatVisible ? this.chat.matchId : null;
    renderMatchList(this.matches, this.ended.values(), current, {
      open: (matchId) => this.openChat(matchId),
      dismiss: (matchId) => {
        this.ended.delete(matchId);
        if (this.chat?.matchId === matchId) this.closeChat();
        this.renderMatches();
      },
    });
  }

  /** Opens a match named from outside the list (a notification's link): once the list has it, with its name. */
  openMatch(matchId: number): void {
    void this.loadMatches().then(() => this.openChat(matchId));
  }

  openChat(matchId: number): void {
    if (this.chat?.matchId !== matchId) {
      this.chat?.close();
      this.chat = this.createChat(matchId);
    }
    this.screens.show("chat");
    this.chat.visibilityChanged();
    this.renderMatches();
  }

  private closeChat(): void {
    this.chat?.close();
    this.chat = null;
    this.showEmptyChat();
    this.screens.show("list", false);
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
