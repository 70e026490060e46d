// The partner card (DOM), under the chat header (which has the name and presence): photo, level and progress, and each fact as unlocked or locked.
import type { PartnerProfile } from "../kernel/views";
import type { ChatState } from "./chat-state";
import { fill, h } from "./dom";
import { plural, revealedAt, timeLeft } from "./format";
import { partnerPhoto } from "./partner-photo";

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
  fill(
    card,
    h("div", { class: "avatar" }, partnerPhoto(p, state.level)),
    h(
      "div",
      { class: "partner-main" },
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
        ...fact("User id", 4, typeof p.user_id === "number" ? String(p.user_id) : null),
      ),
    ),
  );
}
