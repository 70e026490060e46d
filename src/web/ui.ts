// Shared bits of UI: toasts (announced politely to screen readers) and a modal dialog.
import { byId, fill, h } from "./dom";

/** A toast; with `action`, a button in it (e.g. "Get coins" on a message that coins are missing). */
export function toast(
  text: string,
  kind: "info" | "error" = "info",
  action: { label: string; run: () => void } | null = null,
): void {
  const item = h(
    "div",
    { class: `toast ${kind}` },
    text,
    action &&
      h(
        "button",
        {
          type: "button",
          class: "toast-action",
          onclick: () => {
            item.remove();
            action.run();
          },
        },
        action.label,
      ),
  );
  byId("toasts").append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 5000);
}

/**
 * Shows the page's one <dialog> with `body` and resolves with its form's values when confirmed,
 * or null when cancelled (Cancel button or Escape).
 */
export function ask(title: string, body: Node[], okLabel: string, danger = false): Promise<FormData | null> {
  const dialog = byId<HTMLDialogElement>("dialog");
  const form = byId<HTMLFormElement>("dialog-form");
  const ok = byId<HTMLButtonElement>("dialog-ok");
  byId("dialog-title").textContent = title;
  fill(byId("dialog-body"), ...body);
  ok.textContent = okLabel;
  ok.className = danger ? "danger" : "primary";
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok" ? new FormData(form) : null), {
      once: true,
    });
    dialog.showModal();
    (form.querySelector<HTMLElement>("#dialog-body select, #dialog-body textarea, #dialog-body input") ?? ok).focus();
  });
}

/** A dialog field with its label. */
export function field(label: string, control: HTMLElement): HTMLElement {
  return h("label", {}, label, control);
}
