// The shapes every layer shows a user: the partner as unlocked, and a chat message as one participant sees it.
import { t } from "elysia";
import { GENDERS } from "../db/schema";
import { Id, NullableTimestamp, Timestamp } from "./schemas";

// Not t.UnionEnum: it gives the schema a default (its first value), which would fill optional fields.
export const Gender = t.Union([t.Literal(GENDERS[0]), t.Literal(GENDERS[1]), t.Literal(GENDERS[2])], {
  description: "male, female or other",
});

export const UnlockLevel = t.Integer({ minimum: 0, maximum: 4 });

export const UnlockProgress = t.Integer({
  minimum: 0,
  description: "min(message_count, 2 × the messages of the side that wrote fewer): the levels follow it",
});

export const NextUnlockAt = t.Nullable(
  t.Integer({ description: "unlock_progress of the next level; null at level 4" }),
);

/** The counters every match reply carries, as seen by one viewer. */
export const UnlockCounters = {
  message_count: t.Integer({ minimum: 0 }),
  unlock_progress: UnlockProgress,
  unlock_level: UnlockLevel,
  next_unlock_at: NextUnlockAt,
};

/** The partner's photo from level 2 on: a link to the rendition of the viewer's level, never to the original. */
export const PartnerPhoto = t.Object({
  url: t.String({
    description:
      "A path under /api/mystery/photos/ with an opaque token bound to you, the match and the level; it expires within an hour",
  }),
  blur: t.Integer({ description: "50 (strong, level 2), 25 (light, level 3) or 0 (clear, level 4)" }),
  placeholder: t.String({ description: "BlurHash of the photo, to draw while the rendition loads" }),
});
export type PartnerPhoto = typeof PartnerPhoto.static;

export const PartnerProfile = t.Object(
  {
    user_id: t.Union([t.Literal("Mystery User"), t.Integer()], {
      description: '"Mystery User" until level 4, then the real id',
    }),
    unlock_level: UnlockLevel,
    age: t.Optional(t.Nullable(t.Integer())),
    city: t.Optional(t.Nullable(t.String())),
    photo: t.Optional(t.Nullable(PartnerPhoto)),
    photo_url: t.Optional(t.Nullable(t.String({ description: "The external photo link: level 4 only" }))),
    photo_blur: t.Optional(t.Integer()),
    interests: t.Optional(t.Array(t.String())),
    bio: t.Optional(t.Nullable(t.String())),
    gender: t.Optional(t.Nullable(Gender)),
  },
  { description: "The partner as unlocked for you: fields appear level by level" },
);
export type PartnerProfile = typeof PartnerProfile.static;

export const ChatMessage = t.Object({
  id: Id("Message id; ids grow with time"),
  is_me: t.Boolean(),
  message: t.String(),
  timestamp: Timestamp(),
  is_secret: t.Boolean(),
  self_destruct_at: NullableTimestamp(),
});
export type ChatMessage = typeof ChatMessage.static;
