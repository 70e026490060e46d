// The two screens of the signed-in page: the list (profile, find, matches) and the chat. On a narrow
// viewport one shows at a time, with a way back (the chat's back button, Telegram's BackButton, the
// browser's back); on a wide one both show side by side.
import { byId } from "./dom";
import { telegramBack } from "./telegram";

const NARROW = window.matchMedia("(max-width: 760px)");

export type Screen = "list" | "chat";

export class Screens {
  private current: Screen = "list";
  private readonly abort = new AbortController();

  constructor(
    /** The chat screen was left (narrow only): the chat stops marking messages read. */
    private readonly left: () => void,
  ) {
    const { signal } = this.abort;
    window.addEventListener(
      "popstate",
      () => {
        if (this.current === "chat" && NARROW.matches) this.show("list", false);
      },
      { signal },
    );
    NARROW.addEventListener("change", () => this.show(this.current, false), { signal });
    this.show("list", false);
  }

  /** Whether the chat can be seen now (wide, or narrow on the chat screen). */
  get chatVisible(): boolean {
    return !NARROW.matches || this.current === "chat";
  }

  get narrow(): boolean {
    return NARROW.matches;
  }

  show(screen: Screen, addHistory = true): void {
    const wasChat = this.current === "chat";
    this.current = screen;
    byId("home").dataset.screen = screen;
    const inChat = screen === "chat" && NARROW.matches;
    telegramBack(inChat ? () => this.back() : null);
    // The browser's (and Android's) back leaves the chat too: one history entry per visit.
    if (inChat && addHistory && !wasChat) history.pushState({ screen: "chat" }, "");
    if (wasChat && screen === "list") this.left();
    window.scrollTo(0, 0);
  }

  /** From the chat back to the list. */
  back(): void {
    if (this.current !== "chat") return;
    if (history.state?.screen === "chat") history.back();
    else this.show("list", false);
  }

  close(): void {
    this.abort.abort();
    telegramBack(null);
  }
}
