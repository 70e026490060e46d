// The profile form's "Who you'd like to meet": looking_for and the age range, honoured both ways by every pick.
import type { OwnProfile } from "../modules/profiles/model";
import { h } from "./dom";
import { registerProfileSection } from "./panels";

type Gender = OwnProfile["gender"];
const CHOICES: ReadonlyArray<readonly [Gender, string]> = [
  ["female", "Women"],
  ["male", "Men"],
  ["other", "Other"],
];

const boxes = CHOICES.map(([value, label]) => {
  const box = h("input", { type: "checkbox", name: "looking_for", value, checked: true });
  return { value, box, label: h("label", { class: "check" }, box, ` ${label}`) };
});
const age = (name: string, value: number) =>
  h("input", { name, type: "number", inputmode: "numeric", min: 18, max: 100, step: 1, value });
const youngest = age("age_min", 18);
const oldest = age("age_max", 100);

registerProfileSection({
  id: "preferences",
  slot: "basics",
  element: () =>
    h(
      "fieldset",
      { id: "preferences", class: "preferences" },
      h("legend", {}, "Who you'd like to meet"),
      h("div", { class: "row checks" }, ...boxes.map((choice) => choice.label)),
      h("div", { class: "row" }, h("label", {}, "Youngest ", youngest), h("label", {}, "Oldest ", oldest)),
      h("p", { class: "hint" }, "You're only matched with people who'd like to meet you too."),
    ),
  fill(profile) {
    const wanted = new Set<Gender>(profile?.looking_for ?? CHOICES.map(([value]) => value));
    for (const { value, box } of boxes) box.checked = wanted.has(value);
    youngest.value = String(profile?.age_min ?? 18);
    oldest.value = String(profile?.age_max ?? 100);
  },
  collect(form, body) {
    const lookingFor = form.getAll("looking_for").map(String) as Gender[];
    if (lookingFor.length === 0) return "Choose at least one kind of person you'd like to meet.";
    const from = Number(form.get("age_min") || 18);
    const to = Number(form.get("age_max") || 100);
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 18 || to > 100) {
      return "The ages you'd like to meet go from 18 to 100.";
    }
    if (from > to) return "The youngest age you'd like to meet can't be above the oldest.";
    body.looking_for = lookingFor;
    body.age_min = from;
    body.age_max = to;
    return null;
  },
});
