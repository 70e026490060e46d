// The keys every language file fills.

/** What the bot says, in one language. The notifications' texts join here with the outbox. */
export interface Texts {
  /** The reply to a plain /start. */
  readonly welcome: string;
  /** The reply to /start m<match_id> (a link that opens one match). */
  readonly welcomeToMatch: string;
  /** The Mini App button of the welcome. */
  readonly openApp: string;
  /** The Mini App button opening one match. */
  readonly openMatch: string;
  /** The reply to /stop. */
  readonly stopped: string;
}
