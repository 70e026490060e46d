// Settings request and response schemas: the notifications the bot may send, and the language.
import { t } from "elysia";
import { LANGUAGES } from "../../db/schema";

const what = {
  new_match: "A new match you did not ask for",
  messages: "New messages (at most one per match per 15 minutes)",
  unlocks: "A level reached",
  expiring: "A match with messages that expires within 2 hours",
  secret_chat: "A secret-chat request",
} as const;

// Not t.UnionEnum: it gives the schema a default (its first value).
const Language = (description: string) => t.Union([t.Literal(LANGUAGES[0]), t.Literal(LANGUAGES[1])], { description });

export const Settings = t.Object({
  success: t.Literal(true),
  notifications: t.Object({
    new_match: t.Boolean({ description: what.new_match }),
    messages: t.Boolean({ description: what.messages }),
    unlocks: t.Boolean({ description: what.unlocks }),
    expiring: t.Boolean({ description: what.expiring }),
    secret_chat: t.Boolean({ description: what.secret_chat }),
  }),
  language: Language("The language you chose, else your Telegram language (Hindi or English), else en"),
});

export const SettingsInput = t.Object({
  notifications: t.Optional(
    t.Object(
      {
        new_match: t.Optional(t.Boolean({ description: what.new_match })),
        messages: t.Optional(t.Boolean({ description: what.messages })),
        unlocks: t.Optional(t.Boolean({ description: what.unlocks })),
        expiring: t.Optional(t.Boolean({ description: what.expiring })),
        secret_chat: t.Optional(t.Boolean({ description: what.secret_chat })),
      },
      { description: "Only the kinds given change" },
    ),
  ),
  language: t.Optional(Language("The bot's language: en or hi")),
});
export type SettingsInput = typeof SettingsInput.static;
