// Profile request and response schemas.
import { t } from "elysia";
import { Id, JsonInteger, NullableTimestamp, SafeString, UNICODE_TEXT } from "../../kernel/schemas";
import { Gender } from "../../kernel/views";

export const ProfileInput = t.Object({
  gender: Gender,
  age: JsonInteger({ minimum: 18, maximum: 100 }),
  city: t.Optional(t.Nullable(SafeString({ maxLength: 100 }))),
  bio: t.Optional(t.Nullable(SafeString({ maxLength: 500 }))),
  interests: t.Optional(t.Array(SafeString({ minLength: 1, maxLength: 30 }), { maxItems: 10 })),
  looking_for: t.Optional(
    t.Array(Gender, {
      minItems: 1,
      maxItems: 3,
      uniqueItems: true,
      description: "Whom you want to meet (default: everyone); honoured both ways by the pick",
    }),
  ),
  age_min: t.Optional(
    JsonInteger({ minimum: 18, maximum: 100, default: 18, description: "Youngest age you want to meet" }),
  ),
  age_max: t.Optional(
    JsonInteger({ minimum: 18, maximum: 100, default: 100, description: "Oldest age you want to meet" }),
  ),
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

export const OwnPhoto = t.Object(
  {
    url: t.String({
      description: "A link to the clear rendition (path under /api/mystery/photos/, valid up to an hour)",
    }),
    width: t.Integer(),
    height: t.Integer(),
    placeholder: t.String({ description: "BlurHash of the photo" }),
  },
  { description: "Your uploaded photo (PUT /api/mystery/profile/photo), or null" },
);

export const OwnProfile = t.Object({
  user_id: Id("Your Telegram user id"),
  gender: Gender,
  age: t.Integer(),
  city: t.Nullable(t.String()),
  bio: t.Nullable(t.String()),
  interests: t.Array(t.String()),
  photo_url: t.Nullable(t.String()),
  looking_for: t.Array(Gender),
  age_min: t.Integer(),
  age_max: t.Integer(),
  photo: t.Nullable(OwnPhoto),
  is_premium: t.Boolean(),
  premium_until: NullableTimestamp(),
  coins: t.Integer(),
  is_banned: t.Boolean(),
  ban_until: NullableTimestamp(),
});
export type OwnProfile = typeof OwnProfile.static;

export const ProfileReply = t.Object({ success: t.Literal(true), profile: OwnProfile });
