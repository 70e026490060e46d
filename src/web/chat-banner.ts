// The chat's banner (the end, the secret chat with its countdown, a request to answer) and its actions' buttons.
import type { ChatState } from "./chat-state";
import { fill, h } from "./dom";
import { countdown } from "./format";

/** What the panel's buttons do (ChatActions). */
export interface PanelActions {
  extend(): Promise<void>;
  requestSecret(): Promise<void>;
  answerSecret(accept: boolean): Promise<void>;
  report(): Promise<void>;
  unmatch(): Promise<void>;
  block(): Promise<void>;
}

export function renderBanner(banner: HTMLElement, state: ChatState, actions: PanelActions): void {
  const parts: Node[] = [];
  if (state.ended) {
    parts.push(h("p", { class: "banner ended", role: "status" }, state.ended));
  } else if (state.secretUntil) {
    parts.push(
      h(
        "p",
        { class: "banner secret", role: "status" },
        "Secret chat · ",
        h("strong", { "data-secret-countdown": "" }, countdown(state.secretUntil.getTime() - Date.now())),
        " left. Messages sent now disappear when it ends.",
      ),
    );
  } else if (state.incomingRequest !== null) {
    parts.push(
      h(
        "div",
        { class: "banner request", role: "alert" },
        h(
          "p",
          {},
          `Your match asks for a ${state.incomingRequest}-minute secret chat. Its messages disappear when it ends.`,
        ),
        h("button", { type: "button", class: "primary", onclick: () => void actions.answerSecret(true) }, "Accept"),
        h("button", { type: "button", onclick: () => void actions.answerSecret(false) }, "Decline"),
      ),
    );
  } else if (state.outgoingRequest !== null) {
    parts.push(
      h(
        "p",
        { class: "banner request", role: "status" },
        `Waiting for your match to accept a ${state.outgoingRequest}-minute secret chat…`,
      ),
    );
  }
  fill(banner, ...parts);
}

export function renderToolbar(toolbar: HTMLElement, state: ChatState, a: PanelActions): void {
  const active = !state.ended;
  const button = (label: string, action: () => Promise<void>, enabled: boolean, extra: Record<string, string> = {}) =>
    h("button", { type: "button", disabled: !enabled, onclick: () => void action(), ...extra }, label);
  fill(
    toolbar,
    button("Extend +24 h", () => a.extend(), active),
    button("Secret chat", () => a.requestSecret(), active && !state.secretUntil),
    button("Report", () => a.report(), true),
    button("Unmatch", () => a.unmatch(), active, { class: "danger-outline" }),
    button("Block", () => a.block(), active, { class: "danger-outline" }),
  );
}
