// The chat's history in pages: the newest first, then older ones as the user scrolls up (before_id),
// placed above without moving what is in view; the line at the top says where the history stands.
import type { HistoryPage } from "../modules/chat/model";
import { client, ok } from "./api";
import type { MessageLog } from "./chat-log";
import type { ChatState } from "./chat-state";
import { humanError } from "./errors";
import { toast } from "./ui";

/** Messages per history page. */
const PAGE = 50;

export class HistoryPages {
  private loading = false;

  constructor(
    private readonly matchId: number,
    private readonly state: ChatState,
    private readonly log: MessageLog,
  ) {}

  /** The newest page. */
  first(): Promise<HistoryPage> {
    return ok(client.api.mystery.chat({ match_id: this.matchId }).get({ query: { limit: PAGE } }));
  }

  /** The page before the oldest shown. */
  async older(): Promise<void> {
    const { state } = this;
    if (this.loading || !state.hasOlder || !state.loaded) return;
    this.loading = true;
    this.log.setTop("Loading earlier messages…");
    try {
      const page = await ok(
        client.api.mystery.chat({ match_id: this.matchId }).get({ query: { limit: PAGE, before_id: state.firstId } }),
      );
      state.older(page);
      const fresh = page.messages.filter((message) => state.add(message));
      this.log.addOlder(
        fresh.map((message) => ({ message, receipt: message.is_me ? state.receipt(message.id) : null })),
      );
    } catch (error) {
      toast(humanError(error), "error");
    } finally {
      this.loading = false;
      this.showTop();
    }
  }

  showTop(): void {
    const { state } = this;
    if (state.hasOlder) this.log.setTop("Scroll up for earlier messages.");
    else if (state.firstId) this.log.setTop("The start of your chat.");
    else this.log.setTop("No messages yet. Say hello! Their profile unlocks as you both write.", true);
  }
}
