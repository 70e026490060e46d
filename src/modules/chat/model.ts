// Chat request and response schemas: send-message and history pages.
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
import { ChatMessage, PartnerProfile, UnlockCounters, UnlockLevel, UnlockProgress } from "../../kernel/views";

export const MAX_MESSAGE_CHARS = 2000;

export const SendMessageInput = t.Object({
  match_id: Id("The match to write in"),
  sender_id: CallerId(),
  // UTF-16 bound here; the 2000-character rule (code points, not only whitespace) is checked in the route.
  message_text: SafeString({
    minLength: 1,
    maxLength: MAX_MESSAGE_CHARS * 2,
    description: "1..2000 characters, not only whitespace",
  }),
  client_msg_id: t.Optional(
    SafeString({
      minLength: 1,
      maxLength: 64,
      description: "Makes the send idempotent: a retry returns the first reply",
    }),
  ),
});
export type SendMessageInput = typeof SendMessageInput.static;

export const SentMessage = t.Object({
  success: t.Literal(true),
  message_id: Id("The stored message"),
  message_count: t.Integer({ minimum: 1 }),
  unlock_progress: UnlockProgress,
  unlock_level: UnlockLevel,
  unlocked: t.Nullable(t.Integer({ minimum: 1, maximum: 4, description: "Level this message reached, else null" })),
});
export type SentMessage = typeof SentMessage.static;

export const HistoryQuery = t.Object({
  user_id: t.Optional(IntegerParam("Optional: your own user id; must match your credentials")),
  before_id: t.Optional(IntegerParam("Return messages older than this id (the first id of the page you have)")),
  limit: t.Optional(IntegerParam("Page size, 1..200 (default 50)")),
});
export type HistoryQuery = typeof HistoryQuery.static;

export const HistoryPage = t.Object({
  success: t.Literal(true),
  match_id: Id("Match id"),
  partner: PartnerProfile,
  messages: t.Array(ChatMessage, { description: "Oldest first within the page" }),
  ...UnlockCounters,
  expires_at: Timestamp(),
  is_active: t.Boolean({ description: "False once the match ended or expired" }),
  secret_chat_active: t.Boolean(),
  secret_chat_expires_at: NullableTimestamp(),
  has_more: t.Boolean({ description: "Older messages exist: ask again with before_id" }),
  partner_read_up_to: t.Nullable(Id("The last message your partner has read; null when none")),
  extend_cost: t.Integer({
    minimum: 0,
    description: "Coins extending this match by 24 hours costs you (0 for Premium)",
  }),
});
export type HistoryPage = typeof HistoryPage.static;

export const SecretChatRequestInput = t.Object({
  match_id: Id("The match"),
  requester_id: CallerId(),
  duration_minutes: JsonInteger({ minimum: 5, maximum: 60, description: "How long the secret chat lasts" }),
});

export const SecretChatRequestReply = t.Object({
  success: t.Literal(true),
  message: t.String(),
  request_id: Id("The pending request"),
  duration_minutes: t.Integer(),
});

export const MatchIdParams = t.Object({ match_id: IntegerParam("The match") });
export const OptionalCallerQuery = t.Object({
  user_id: t.Optional(IntegerParam("Optional: your own user id; must match your credentials")),
});

export const SecretChatAccepted = t.Object({
  success: t.Literal(true),
  message: t.String(),
  duration_minutes: t.Integer(),
  self_destruct_at: Timestamp("When the secret chat ends and its messages are deleted"),
});

export const SecretChatDeclined = t.Object({ success: t.Literal(true), message: t.String() });

export const OnlineStatusParams = t.Object({
  match_id: IntegerParam("The match"),
  user_id: IntegerParam("Your own user id"),
});

export const OnlineStatus = t.Object({
  success: t.Literal(true),
  is_online: t.Boolean({ description: "Your partner has this chat open now" }),
  last_seen: NullableTimestamp("When your partner last closed this chat; null if never seen"),
});
