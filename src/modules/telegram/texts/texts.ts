// The keys every language file fills.

/**
 * What the bot says, in one language. The notifications never name the partner or quote them: only
 * what happened, and a count or a level.
 */
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
  /** Someone else's find-match matched you. */
  readonly newMatch: string;
  /** Unread messages in one match (count ≥ 1). */
  readonly newMessages: (count: number) => string;
  /** The conversation opened a level of the profiles (1–4). */
  readonly levelReached: (level: number) => string;
  /** A match with messages ends within 2 hours. */
  readonly expiring: string;
  /** The partner asks for a secret chat. */
  readonly secretChat: string;
}
