// What a person reads for an error: the sentences for the server's error codes and bad fields.
import { ApiError } from "./api";
import { untilUtcMidnight } from "./format";

const FIELD_NAMES: Record<string, string> = {
  age: "Age",
  gender: "Gender",
  city: "City",
  bio: "About you",
  interests: "Interests",
  photo_url: "Photo link",
  message_text: "Message",
  text: "Message",
  reason: "Reason",
  preferred_age_min: "Youngest age",
  preferred_age_max: "Oldest age",
  preferred_city: "City",
  duration_minutes: "Duration",
  user_id: "User id",
};

function fieldSentence(detail: { field: string; message: string }): string {
  const field = detail.field.replace(/^\//, "").split("/")[0] ?? detail.field;
  const name = FIELD_NAMES[field] ?? field;
  if (field === "photo_url") return "The photo link must be an https:// address.";
  if (field === "age") return "Age must be a whole number from 18 to 100.";
  if (field === "user_id") return "A user id is a whole number above 0.";
  return `${name}: ${detail.message}.`;
}

/** What a person reads for an error: a plain sentence, never a code. */
export function humanError(error: unknown, context: { dailyLimit?: number | null } = {}): string {
  if (!(error instanceof ApiError)) return "Something went wrong. Please try again.";
  switch (error.code) {
    case "network":
      return "Can't reach Mystery Match right now. Check your connection and try again.";
    case "unauthorized":
      return "Your sign-in didn't work or has expired. Please sign in again.";
    case "telegram_not_configured":
      return "This server can't sign you in with Telegram: it has no bot token set up (TELEGRAM_BOT_TOKEN). Ask whoever runs it.";
    case "forbidden":
      return "That belongs to someone else.";
    case "daily_limit_reached": {
      const limit = context.dailyLimit ? `all ${context.dailyLimit}` : "all";
      return `You've used ${limit} of today's free matches. New ones in ${untilUtcMidnight()} (midnight UTC) — or go Premium for unlimited matches.`;
    }
    case "no_matches_found":
      return "Nobody new fits right now. Try a wider age range, or come back a bit later.";
    case "user_not_found":
      return "Fill in your profile first — then we can find you a match.";
    case "banned":
      return "Your account is suspended for a while, so you can't match or chat right now.";
    case "rate_limited":
      return "That's a bit fast — wait a few seconds and try again.";
    case "insufficient_coins":
      return "You don't have enough coins to extend this match. Get coins with Telegram Stars.";
    case "match_expired":
      return "This match has run out of time.";
    case "match_ended":
      return "This chat has ended.";
    case "match_not_found":
      return "This match isn't available any more.";
    case "request_pending":
      return "You've already asked — waiting for your match to answer.";
    case "secret_chat_active":
      return "A secret chat is already running.";
    case "no_pending_request":
      return "There's no secret chat request to answer any more.";
    case "contact_details_locked": {
      const level = /level (\d)/.exec(error.message)?.[1];
      return `Phone numbers, @handles, e-mails and links can be shared ${level ? `from level ${level}` : "later"} — keep chatting!`;
    }
    case "contact_details_in_profile": {
      const names = error.details.map((detail) => FIELD_NAMES[detail.field] ?? detail.field);
      return `${names.length > 0 ? names.join(", ") : "Your profile"}: no phone numbers, @handles, e-mails or links — you can share them in a chat once it unlocks.`;
    }
    case "payload_too_large":
      return "That's too long to send.";
    case "validation_failed":
      return error.details.length > 0 ? error.details.map(fieldSentence).join(" ") : "Please check what you entered.";
    default:
      return error.status >= 500 ? "The server had a problem. Please try again in a moment." : error.message;
  }
}
