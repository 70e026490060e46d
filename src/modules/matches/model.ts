// Match request and response schemas: find-match, my-matches, stats.
import { t } from "elysia";
import {
  CallerId,
  Id,
  IntegerParam,
  JsonInteger,
  NullableTimestamp,
  SafeString,
  Timestamp,
} from "../../kernel/schemas";
import { Gender, PartnerProfile, UnlockCounters } from "../../kernel/views";

export const FindMatchInput = t.Object({
  user_id: CallerId(),
  preferred_gender: t.Optional(t.Nullable(Gender)),
  preferred_age_min: t.Optional(JsonInteger({ minimum: 18, maximum: 100, default: 18 })),
  preferred_age_max: t.Optional(JsonInteger({ minimum: 18, maximum: 100, default: 100 })),
  preferred_city: t.Optional(t.Nullable(SafeString({ minLength: 1, maxLength: 100 }))),
  wait_seconds: t.Optional(
    JsonInteger({
      minimum: 1,
      maximum: 30,
      description: "With nobody at once, wait this long in the pool of people searching right now",
    }),
  ),
});
export type FindMatchInput = typeof FindMatchInput.static;

export const FoundMatch = t.Object({
  success: t.Literal(true),
  match_id: Id("The new match"),
  expires_at: Timestamp(),
  is_premium: t.Boolean(),
  ...UnlockCounters,
  partner: PartnerProfile,
});
export type FoundMatch = typeof FoundMatch.static;

export const MatchListItem = t.Object({
  match_id: Id("Match id"),
  partner: PartnerProfile,
  ...UnlockCounters,
  expires_at: Timestamp(),
  secret_chat_active: t.Boolean(),
  last_message_at: NullableTimestamp(),
  unread_count: t.Integer({ minimum: 0, description: "Partner's messages after your read marker" }),
  last_message: t.Nullable(
    t.Object(
      { is_me: t.Boolean(), message: t.String(), timestamp: Timestamp() },
      { description: "The newest message not self-destructed, for a preview; null when none" },
    ),
  ),
});
export type MatchListItem = typeof MatchListItem.static;

export const MyMatches = t.Object({
  success: t.Literal(true),
  is_premium: t.Boolean(),
  matches: t.Array(MatchListItem),
});

export const Stats = t.Object({
  success: t.Literal(true),
  user_id: Id("Your user id"),
  is_premium: t.Boolean(),
  total_matches: t.Integer(),
  active_matches: t.Integer(),
  today_matches: t.Integer({ description: "Matches you asked for today (UTC)" }),
  daily_limit: t.Nullable(t.Integer({ description: "Free daily limit; null for premium" })),
  messages_sent: t.Integer(),
});
export type Stats = typeof Stats.static;

export const UserIdParams = t.Object({ user_id: IntegerParam("Your own user id") });

export const UnmatchInput = t.Object({
  match_id: Id("The match to end"),
  user_id: CallerId(),
  reason: t.Optional(t.Nullable(SafeString({ maxLength: 500, description: "Why, kept for moderation" }))),
});

export const Unmatched = t.Object({ success: t.Literal(true), message: t.String() });

export const ExtendInput = t.Object({ match_id: Id("The match to extend"), user_id: CallerId() });

export const Extended = t.Object({
  success: t.Literal(true),
  message: t.String(),
  new_expiry: Timestamp(),
  cost: t.Integer({ minimum: 0, description: "Coins paid: 0 for premium users" }),
});
