// The partner card (DOM): photo, name, presence, level and progress, and each fact as unlocked or locked.
import type { PartnerProfile } from "../kernel/views";
import type { ChatState } from "./chat-state";
import { fill, h } from "./dom";
import { ago, blurPixels, partnerName, plural, revealedAt, timeLeft } from "./format";

const GENDERS: Record<NonNullable<PartnerProfile["gender"]>, string> = { female: "Woman", male: "Man", other: "Other" };

export function renderPartnerCard(card: HTMLElement, state: ChatState): void {
  const p = state.partner;
  const locked = (level: number) => h("span", { class: "locked" }, `locked until level ${level}`);
  const fact = (label: string, level: number, value: string | null | undefined) =>
    [h("dt", {}, label), h("dd", {}, state.level >= level ? value || "—" : locked(level))] as const;

  // Levels follow unlock_progress: when one side wrote more, only both writing moves it, so the hint
  // gives the progress itself rather than a count of messages anyone might send.
  const next = state.nextUnlockAt;
  const progress =
    next === null
      ? "Everything is unlocked."
      : state.progress < state.count
        ? `Levels open as you both write: ${state.progress} of ${next} toward ${revealedAt(state.level + 1)}.`
        : `${plural(Math.max(0, next - state.progress), "more message")} to unlock ${revealedAt(state.level + 1)}.`;
  const presence = state.ended
    ? null
    : state.online
      ? h("span", { class: "presence online" }, "Online")
      : h("span", { class: "presence" }, state.lastSeen ? `Last seen ${ago(state.lastSeen)}` : "Offline");

  fill(
    card,
    h("div", { class: "avatar" }, photo(p, state.level)),
    h(
      "div",
      { class: "partner-main" },
      h("p", { class: "partner-name" }, h("strong", {}, partnerName(p)), " ", presence),
      h(
        "p",
        { class: "partner-level" },
        h("span", { class: "level" }, `Level ${state.level}/4`),
        ` · ${plural(state.count, "message")} · `,
        h("span", { "data-chat-time-left": "" }, state.ended ? "ended" : timeLeft(state.expiresAt)),
      ),
      h("progress", {
        max: state.nextUnlockAt ?? 1,
        value: state.nextUnlockAt === null ? 1 : state.progress,
        "aria-label": "Messages toward the next unlock level",
      }),
      h("p", { class: "hint" }, progress),
      h(
        "dl",
        { class: "facts" },
        ...fact("Age", 1, p.age == null ? null : String(p.age)),
        ...fact("City", 1, p.city),
        ...fact("Interests", 3, p.interests?.join(", ")),
        ...fact("About", 3, p.bio),
        ...fact("Gender", 4, p.gender ? GENDERS[p.gender] : null),
      ),
    ),
  );
}

/** The photo from level 2 on, blurred as the server says; a "?" before, or when it fails to load. */
function photo(p: PartnerProfile, level: number): HTMLElement {
  const placeholder = () => h("span", { class: "photo placeholder", "aria-hidden": "true" }, "?");
  if (!p.photo_url || level < 2) return placeholder();
  const img = h("img", {
    class: "photo",
    src: p.photo_url,
    alt: p.photo_blur ? "Your match's photo, blurred until you talk more" : "Your match's photo",
    style: `filter: blur(${blurPixels(p.photo_blur)}px)`,
    "data-blur": p.photo_blur ?? 0,
    referrerpolicy: "no-referrer",
  });
  img.addEventListener("error", () => img.replaceWith(h("span", { class: "photo placeholder" }, "?")));
  return img;
}
