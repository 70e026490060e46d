// Users and their profiles: one row per Telegram user, profile columns null until the first PUT.
import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  doublePrecision,
  index,
  integer,
  pgTable,
  smallint,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

export const GENDERS = ["male", "female", "other"] as const;
export type Gender = (typeof GENDERS)[number];

export const users = pgTable(
  "users",
  {
    id: bigint("id", { mode: "number" }).primaryKey(),
    gender: text("gender").$type<Gender>(),
    age: smallint("age"),
    city: text("city"),
    bio: text("bio"),
    interests: text("interests").array().notNull().default(sql`'{}'::text[]`),
    photoUrl: text("photo_url"),
    /** Uniform random position used by the random pick's index scan; redrawn on every profile update. */
    randomKey: doublePrecision("random_key").notNull().default(sql`random()`),
    premiumUntil: timestamp("premium_until", { withTimezone: true, mode: "date" }),
    coins: integer("coins").notNull().default(0),
    banUntil: timestamp("ban_until", { withTimezone: true, mode: "date" }),
    banReason: text("ban_reason"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /** When the profile was first saved (a row may exist earlier, e.g. for a block made before registering). */
    profileCreatedAt: timestamp("profile_created_at", { withTimezone: true, mode: "date" }),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /**
     * The last authenticated request or open socket, written at most once a minute or so per user
     * (src/modules/activity/recorder.ts); the pick's tiers and MATCH_ACTIVE_DAYS read it.
     */
    lastActiveAt: timestamp("last_active_at", { withTimezone: true, mode: "date" }),
    /** Whom the profile wants to meet (mutual preferences): genders, and an age range. */
    lookingFor: text("looking_for").array().$type<Gender[]>().notNull().default(sql`'{male,female,other}'::text[]`),
    ageMin: smallint("age_min").notNull().default(18),
    ageMax: smallint("age_max").notNull().default(100),
  },
  (t) => [
    check("users_id_positive", sql`${t.id} > 0`),
    check("users_gender_valid", sql`${t.gender} IN ('male', 'female', 'other')`),
    check("users_age_range", sql`${t.age} BETWEEN 18 AND 100`),
    check("users_profile_complete", sql`(${t.gender} IS NULL) = (${t.age} IS NULL)`),
    check("users_city_length", sql`char_length(${t.city}) <= 100`),
    check("users_bio_length", sql`char_length(${t.bio}) <= 500`),
    check("users_interests_count", sql`cardinality(${t.interests}) <= 10`),
    check("users_photo_url_length", sql`char_length(${t.photoUrl}) <= 2048`),
    check("users_coins_non_negative", sql`${t.coins} >= 0`),
    check(
      "users_looking_for_valid",
      sql`cardinality(${t.lookingFor}) >= 1 AND ${t.lookingFor} <@ ARRAY['male', 'female', 'other']::text[]`,
    ),
    check("users_age_preference_range", sql`${t.ageMin} BETWEEN 18 AND 100 AND ${t.ageMax} BETWEEN 18 AND 100`),
    check("users_age_preference_order", sql`${t.ageMin} <= ${t.ageMax}`),
    // The random pick walks one of these in random_key order and stops at the first fit.
    index("users_pick_idx").on(t.randomKey).where(sql`${t.age} IS NOT NULL`),
    index("users_pick_gender_idx").on(t.gender, t.randomKey).where(sql`${t.age} IS NOT NULL`),
    // The pick walks each activity tier (online, today, the rest of MATCH_ACTIVE_DAYS) in this order.
    index("users_active_idx").on(t.lastActiveAt).where(sql`${t.age} IS NOT NULL AND ${t.lastActiveAt} IS NOT NULL`),
  ],
);
