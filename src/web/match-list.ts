// The "Your matches" list (DOM): each match's own name and avatar, the last message, unread count and
// time left; a match that ended stays, saying why, until dismissed.
import type { EndReason } from "../kernel/events";
import type { MatchListItem } from "../modules/matches/model";
import { byId, fill, h } from "./dom";
import { plural, timeLeft } from "./format";
import { matchIdentity } from "./names";

/** A match that ended while this page was open: shown until dismissed. */
export interface EndedMatch {
  item: MatchListItem;
  why: string;
}

export const ENDED_WHY: Record<EndReason, string> = {
  unmatched: "Your match ended this chat.",
  blocked: "This chat has ended.",
  expired: "This match ran out of time.",
};

const PREVIEW_CHARS = 60;

export function avatar(matchId: number, size: "small" | "large" = "small"): HTMLElement {
  const who = matchIdentity(matchId);
  return h("span", { class: `avatar-badge ${size}`, style: `--hue: ${who.hue}`, "aria-hidden": "true" }, who.initials);
}

const clock = (at: string) => {
  const date = new Date(at);
  const today = date.toDateString() === new Date().toDateString();
  return today
    ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : date.toLocaleDateString([], { month: "short", day: "numeric" });
};

function preview(item: MatchListItem): string {
  const last = item.last_message;
  if (!last) return "No messages yet — say hello.";
  const text = last.message.length > PREVIEW_CHARS ? `${last.message.slice(0, PREVIEW_CHARS)}…` : last.message;
  return `${last.is_me ? "You: " : ""}${text}`;
}

export interface ListCallbacks {
  open(matchId: number): void;
  dismiss(matchId: number): void;
}

/** Draws the list: open matches first (the server's order), then the ended ones. */
export function renderMatchList(
  open: MatchListItem[],
  ended: EndedMatch[],
  current: number | null,
  on: ListCallbacks,
): void {
  const list = byId("match-list");
  if (open.length === 0 && ended.length === 0) {
    fill(list, h("li", { class: "empty" }, "No matches yet. Find one below."));
    return;
  }
  const row = (item: MatchListItem, why: string | null) => {
    const who = matchIdentity(item.match_id);
    const isCurrent = current === item.match_id;
    const unread = isCurrent || why ? 0 : item.unread_count;
    return h(
      "li",
      { class: why ? "ended" : "" },
      h(
        "button",
        {
          type: "button",
          class: "match",
          "data-match": item.match_id,
          "aria-current": isCurrent ? "true" : null,
          onclick: () => on.open(item.match_id),
        },
        avatar(item.match_id),
        h(
          "span",
          { class: "match-body" },
          h(
            "span",
            { class: "match-top" },
            h("span", { class: "match-name" }, who.name),
            item.last_message ? h("span", { class: "match-time" }, clock(item.last_message.timestamp)) : null,
          ),
          h("span", { class: "match-preview" }, why ?? preview(item)),
          h(
            "span",
            { class: "match-meta" },
            h("span", { class: "level", title: "Unlock level" }, `Level ${item.unlock_level}/4`),
            why ? " · ended" : " · ",
            why ? null : h("span", { "data-time-left": item.match_id }, timeLeft(item.expires_at)),
            item.secret_chat_active && !why ? " · secret chat on" : "",
          ),
        ),
        unread > 0
          ? h("span", { class: "badge", "aria-label": plural(unread, "unread message") }, String(unread))
          : null,
      ),
      why
        ? h(
            "button",
            {
              type: "button",
              class: "link dismiss",
              "aria-label": `Dismiss ${who.name}`,
              onclick: () => on.dismiss(item.match_id),
            },
            "Dismiss",
          )
        : null,
    );
  };
  fill(list, ...open.map((item) => row(item, null)), ...ended.map((gone) => row(gone.item, gone.why)));
}

/** Every second: the time left on each match. */
export function tickMatchList(open: MatchListItem[]): void {
  for (const item of open) {
    const cell = document.querySelector(`[data-time-left="${item.match_id}"]`);
    if (cell) cell.textContent = timeLeft(item.expires_at);
  }
}
