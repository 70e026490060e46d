// The chat's toolbar actions: each asks in a dialog, calls the API and updates the chat (extend, secret chat, report, unmatch, block).
import type { ReportInput } from "../modules/safety/model";
import { client, ok } from "./api";
import type { PanelActions } from "./chat-banner";
import type { ChatState } from "./chat-state";
import { h } from "./dom";
import { humanError } from "./errors";
import { plural } from "./format";
import type { Home } from "./home";
import { ask, field, toast } from "./ui";
import { purchaseOffer, shopButton } from "./wallet";

/** What an action redraws or ends in the open chat. */
export interface ChatUpdates {
  card(): void;
  banner(): void;
  systemLine(text: string): void;
  end(text: string): void;
}

export class ChatActions implements PanelActions {
  constructor(
    private readonly matchId: number,
    private readonly state: ChatState,
    private readonly home: Pick<Home, "profile" | "loadProfile">,
    private readonly update: ChatUpdates,
  ) {}

  async extend(): Promise<void> {
    const profile = this.home.profile;
    const price = this.state.extendCost;
    const balance = profile?.coins ?? 0;
    const cost =
      price === 0
        ? "It's free for Premium members."
        : `It costs ${plural(price, "coin")}; you have ${plural(balance, "coin")}.${balance < price ? " That's not enough yet." : ""}`;
    const answer = await ask(
      "Extend this match?",
      [
        h("p", {}, "Add 24 hours to this match."),
        h("p", { class: "price" }, cost),
        ...(balance < price ? [shopButton("coins", "Get coins")] : []),
      ],
      price === 0 ? "Extend" : `Extend for ${plural(price, "coin")}`,
    );
    if (!answer) return;
    try {
      const reply = await ok(client.api.mystery["extend-match"].post({ match_id: this.matchId }));
      this.state.expiresAt = new Date(reply.new_expiry);
      this.update.card();
      toast(reply.cost > 0 ? `Extended by 24 hours for ${plural(reply.cost, "coin")}.` : "Extended by 24 hours.");
      void this.home.loadProfile();
    } catch (error) {
      toast(humanError(error), "error", purchaseOffer(error));
    }
  }

  async requestSecret(): Promise<void> {
    const select = h(
      "select",
      { name: "duration" },
      ...[5, 10, 15, 30, 60].map((minutes) =>
        h("option", { value: minutes, selected: minutes === 10 }, `${minutes} minutes`),
      ),
    );
    const answer = await ask(
      "Start a secret chat?",
      [h("p", {}, "If your match accepts, messages sent during it disappear when it ends."), field("How long", select)],
      "Ask",
    );
    if (!answer) return;
    const minutes = Number(answer.get("duration"));
    try {
      await ok(client.api.mystery["request-secret-chat"].post({ match_id: this.matchId, duration_minutes: minutes }));
      this.state.outgoingRequest = minutes;
      this.update.banner();
    } catch (error) {
      toast(humanError(error), "error");
    }
  }

  async answerSecret(accept: boolean): Promise<void> {
    const { state } = this;
    const params = { match_id: this.matchId };
    try {
      if (accept) {
        const reply = await ok(client.api.mystery["accept-secret-chat"](params).post());
        state.incomingRequest = null;
        if (!state.secretUntil) {
          state.secretUntil = new Date(reply.self_destruct_at);
          this.update.systemLine("Secret chat started: messages sent now disappear when it ends.");
        }
      } else {
        await ok(client.api.mystery["decline-secret-chat"](params).post());
        state.incomingRequest = null;
      }
      this.update.banner();
    } catch (error) {
      state.incomingRequest = null;
      this.update.banner();
      toast(humanError(error), "error");
    }
  }

  async report(): Promise<void> {
    const what = h(
      "select",
      { name: "content_type" },
      h("option", { value: "match" }, "The conversation"),
      h("option", { value: "profile" }, "Their profile"),
      h("option", { value: "photo" }, "Their photo"),
    );
    const reason = h("textarea", { name: "reason", rows: 3, maxlength: 1000, required: true });
    const answer = await ask(
      "Report this person",
      [
        h("p", {}, "A moderator will look at it. They won't know who reported them."),
        field("What is wrong?", what),
        field("Tell us what happened", reason),
      ],
      "Send report",
    );
    if (!answer) return;
    try {
      await ok(
        client.api.mystery.report.post({
          match_id: this.matchId,
          content_type: answer.get("content_type") as ReportInput["content_type"],
          reason: String(answer.get("reason") ?? "").trim(),
        }),
      );
      toast("Thanks for telling us. A moderator will look at it.");
    } catch (error) {
      toast(humanError(error), "error");
    }
  }

  async unmatch(): Promise<void> {
    const answer = await ask(
      "End this match?",
      [h("p", {}, "The chat closes for both of you and you won't be matched again. You can still read it.")],
      "End match",
      true,
    );
    if (!answer) return;
    await this.leave("You ended this match.", () => ok(client.api.mystery.unmatch.post({ match_id: this.matchId })));
  }

  async block(): Promise<void> {
    const reason = h("textarea", { name: "reason", rows: 2, maxlength: 500 });
    const answer = await ask(
      "Block this person?",
      [
        h("p", {}, "The chat ends and you will never be matched with them again."),
        field("Reason (optional, only for moderators)", reason),
      ],
      "Block",
      true,
    );
    if (!answer) return;
    const text = String(answer.get("reason") ?? "").trim();
    await this.leave("You blocked this person. You won't be matched with them again.", () =>
      ok(client.api.mystery.block.post({ match_id: this.matchId, reason: text || undefined })),
    );
  }

  /** Unmatch or block: `said` is what this user reads, also when the match_ended event comes first. */
  private async leave(said: string, call: () => Promise<unknown>): Promise<void> {
    this.state.leaving = said;
    try {
      await call();
      this.update.end(said);
    } catch (error) {
      this.state.leaving = null;
      toast(humanError(error), "error");
    }
  }
}
