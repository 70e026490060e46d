// Profile persistence: create or replace the caller's profile, and read it back with account state.
import { eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { GENDERS, photos, users } from "../../db/schema";
import { invalidField } from "../../kernel/errors";
import { hasContactDetails } from "../contact-details";
import { photoLinks } from "../photos/token";
import { contactDetailsInProfile, isBanned, isPremium, userNotFound } from "../rules";
import type { OwnProfile, ProfileInput } from "./model";

type UserRow = typeof users.$inferSelect;
type PhotoRow = typeof photos.$inferSelect;

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** The owner's own photo: a link to its clear rendition, minted for them alone (match 0). */
function ownPhoto(photo: PhotoRow | null, jwtSecret: string, now: Date): OwnProfile["photo"] {
  if (photo === null) return null;
  const url = photoLinks(jwtSecret).linkFor(photo.userId, 0, now)(photo.id, 4);
  return { url, width: photo.width, height: photo.height, placeholder: photo.placeholder };
}

function ownProfile(row: UserRow, photo: OwnProfile["photo"], now: Date): OwnProfile {
  if (row.gender === null || row.age === null) throw userNotFound();
  return {
    user_id: row.id,
    gender: row.gender,
    age: row.age,
    city: row.city,
    bio: row.bio,
    interests: row.interests,
    photo_url: row.photoUrl,
    looking_for: row.lookingFor,
    age_min: row.ageMin,
    age_max: row.ageMax,
    photo,
    is_premium: isPremium(row.premiumUntil, now),
    premium_until: iso(row.premiumUntil),
    coins: row.coins,
    is_banned: isBanned(row.banUntil, now),
    ban_until: iso(row.banUntil),
  };
}

/**
 * The profile's texts a partner reads long before contact details unlock hold none: each interest
 * alone and all of them together (a number split across interests), the bio and the city.
 */
function checkNoContactDetails(input: ProfileInput): void {
  const interests = input.interests ?? [];
  const fields = [
    hasContactDetails(input.bio ?? "") && "bio",
    hasContactDetails(input.city ?? "") && "city",
    (interests.some(hasContactDetails) || hasContactDetails(interests.join(" "))) && "interests",
  ].filter((field) => field !== false);
  if (fields.length > 0) throw contactDetailsInProfile(fields);
}

/** PUT semantics: the body replaces the whole profile; optional fields left out are cleared. */
export async function saveProfile(
  db: Db,
  jwtSecret: string,
  userId: number,
  input: ProfileInput,
  now = new Date(),
): Promise<OwnProfile> {
  checkNoContactDetails(input);
  const ageMin = input.age_min ?? 18;
  const ageMax = input.age_max ?? 100;
  if (ageMin > ageMax) throw invalidField("age_min", "must not be greater than age_max");
  const profile = {
    gender: input.gender,
    age: input.age,
    city: input.city ?? null,
    bio: input.bio ?? null,
    interests: input.interests ?? [],
    photoUrl: input.photo_url ?? null,
    lookingFor: input.looking_for ?? [...GENDERS],
    ageMin,
    ageMax,
    // Saving a profile is activity: a new profile is a candidate at once, not after the next flush.
    lastActiveAt: now,
    updatedAt: now,
  };
  const [row] = await db
    .insert(users)
    .values({ id: userId, createdAt: now, profileCreatedAt: now, ...profile })
    .onConflictDoUpdate({
      target: users.id,
      // A row made earlier (a block before registering) gets its profile's birthday now.
      set: { ...profile, profileCreatedAt: sql`coalesce(${users.profileCreatedAt}, excluded.profile_created_at)` },
    })
    .returning();
  const [photo] = await db.select().from(photos).where(eq(photos.userId, userId));
  return ownProfile(row!, ownPhoto(photo ?? null, jwtSecret, now), now);
}

export async function getProfile(db: Db, jwtSecret: string, userId: number, now = new Date()): Promise<OwnProfile> {
  const [row] = await db.select().from(users).leftJoin(photos, eq(photos.userId, users.id)).where(eq(users.id, userId));
  if (!row) throw userNotFound();
  return ownProfile(row.users, ownPhoto(row.photos, jwtSecret, now), now);
}
