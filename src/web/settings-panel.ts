// The "Notifications" card: which notifications the Telegram bot may send, and its language; each change saved at once.
import type { Settings as SettingsReply } from "../modules/settings/model";
import { client, ok } from "./api";
import { h } from "./dom";
import { humanError } from "./errors";
import { registerPanel } from "./panels";

type Settings = typeof SettingsReply.static;
type Kind = keyof Settings["notifications"];

/** The switches, in the order shown, with what each one means to the user. */
const KINDS: ReadonlyArray<readonly [Kind, string, string]> = [
  ["new_match", "New matches", "Someone's search matched you"],
  ["messages", "New messages", "At most one per match every 15 minutes"],
  ["unlocks", "Levels unlocked", "More of a profile opens"],
  ["expiring", "Expiring matches", "A match with messages ends within 2 hours"],
  ["secret_chat", "Secret-chat requests", "Your match asks for a secret chat"],
];

const LANGUAGES: ReadonlyArray<readonly [Settings["language"], string]> = [
  ["en", "English"],
  ["hi", "हिन्दी (Hindi)"],
];

/** Builds the card in `host` and loads the settings; a failed save puts the switch back. */
async function mount(host: HTMLElement): Promise<void> {
  const status = h("p", { class: "status", role: "status" });
  const error = h("p", { class: "error", role: "alert" });
  const boxes = new Map<Kind, HTMLInputElement>();
  const language = h(
    "select",
    { name: "language", id: "settings-language" },
    ...LANGUAGES.map(([value, label]) => h("option", { value }, label)),
  );
  const form = h(
    "form",
    { id: "settings-form", novalidate: true },
    h(
      "p",
      { class: "hint" },
      "The bot tells you on Telegram while the app is closed. It never names your match or quotes them.",
    ),
    h(
      "fieldset",
      { class: "switches" },
      h("legend", {}, "Notify me about"),
      ...KINDS.map(([kind, title, hint]) => {
        const box = h("input", { type: "checkbox", name: kind, id: `notify-${kind}` });
        boxes.set(kind, box);
        return h(
          "label",
          { class: "switch", for: `notify-${kind}` },
          box,
          h("span", {}, title, h("small", { class: "hint" }, hint)),
        );
      }),
    ),
    h("label", { for: "settings-language" }, "Language of the bot", language),
    status,
    error,
  );
  host.setAttribute("aria-labelledby", "settings-h");
  host.append(
    h("details", { id: "settings-box" }, h("summary", {}, h("h2", { id: "settings-h" }, "Notifications")), form),
  );

  let shownLanguage: Settings["language"] = "en";
  const show = (settings: Settings) => {
    for (const [kind, box] of boxes) box.checked = settings.notifications[kind];
    language.value = settings.language;
    shownLanguage = settings.language;
  };
  const save = async (change: Parameters<typeof client.api.mystery.settings.put>[0], undo: () => void) => {
    status.textContent = "";
    error.textContent = "";
    form.setAttribute("aria-busy", "true");
    try {
      show(await ok(client.api.mystery.settings.put(change)));
      status.textContent = "Saved.";
    } catch (failure) {
      undo();
      error.textContent = humanError(failure);
    } finally {
      form.removeAttribute("aria-busy");
    }
  };
  for (const [kind, box] of boxes) {
    box.addEventListener("change", () => {
      const value = box.checked;
      void save({ notifications: { [kind]: value } }, () => {
        box.checked = !value;
      });
    });
  }
  language.addEventListener("change", () => {
    const chosen = language.value as Settings["language"];
    void save({ language: chosen }, () => {
      language.value = shownLanguage;
    });
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  // Nothing can be switched before the stored settings are shown: a change then would save a guess.
  const controls = [...boxes.values(), language];
  for (const control of controls) control.disabled = true;
  form.setAttribute("aria-busy", "true");
  try {
    show(await ok(client.api.mystery.settings.get()));
    for (const control of controls) control.disabled = false;
  } catch (failure) {
    error.textContent = humanError(failure);
  } finally {
    form.removeAttribute("aria-busy");
  }
}

registerPanel({ id: "settings", order: 40, mount: (host) => mount(host) });
