// Profile request and response schemas.
import { t } from "elysia";
import { GENDERS } from "../../db/schema";
import { Id, JsonInteger, NullableTimestamp, SafeString, UNICODE_TEXT } from "../../http/schemas";

// Not t.UnionEnum: it gives the schema a default (its first value), which would fill optional fields.
export const Gender = t.Union([t.Literal(GENDERS[0]), t.Literal(GENDERS[1]), t.Literal(GENDERS[2])], {
  description: "male, female or other",
});

export const ProfileInput = t.Object({
  gender: Gender,
  age: JsonInteger({ minimum: 18, maximum: 100 }),
  city: t.Optional(t.Nullable(SafeString({ maxLength: 100 }))),
  bio: t.Optional(t.Nullable(SafeString({ maxLength: 500 }))),
  interests: t.Optional(t.Array(SafeString({ minLength: 1, maxLength: 30 }), { maxItems: 10 })),
  photo_url: t.Optional(
    t.Nullable(
      t.String({
        maxLength: 2048,
        pattern: "^https://[^\\s\\u0000]+$",
        format: UNICODE_TEXT,
        description: "An https URL",
      }),
    ),
  ),
});
export type ProfileInput = typeof ProfileInput.static;

export const OwnProfile = t.Object({
  user_id: Id("Your Telegram user id"),
  gender: Gender,
  age: t.Integer(),
  city: t.Nullable(t.String()),
  bio: t.Nullable(t.String()),
  interests: t.Array(t.String()),
  photo_url: t.Nullable(t.String()),
  is_premium: t.Boolean(),
  premium_until: NullableTimestamp(),
  coins: t.Integer(),
  is_banned: t.Boolean(),
  ban_until: NullableTimestamp(),
});
export type OwnProfile = typeof OwnProfile.static;

export const ProfileReply = t.Object({ success: t.Literal(true), profile: OwnProfile });

export const PartnerProfile = t.Object(
  {
    user_id: t.Union([t.Literal("Mystery User"), t.Integer()], {
      description: '"Mystery User" until level 4, then the real id',
    }),
    unlock_level: t.Integer({ minimum: 0, maximum: 4 }),
    age: t.Optional(t.Nullable(t.Integer())),
    city: t.Optional(t.Nullable(t.String())),
    photo_url: t.Optional(t.Nullable(t.String())),
    photo_blur: t.Optional(t.Integer()),
    interests: t.Optional(t.Array(t.String())),
    bio: t.Optional(t.Nullable(t.String())),
    gender: t.Optional(t.Nullable(Gender)),
  },
  { description: "The partner as unlocked for you: fields appear level by level" },
);
