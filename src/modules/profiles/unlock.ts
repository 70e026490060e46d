// Unlock levels: how much of the partner's profile a viewer sees at a given unlock_progress (rules.ts says how it grows).
import { type Placeholder, type SQL, sql } from "drizzle-orm";
import type { Gender } from "../../db/schema";
import type { PartnerProfile } from "../../kernel/views";
import { type MatchCounts, unlockProgress } from "../rules";
import { REVEALS } from "./reveals";

export type Thresholds = readonly [number, number, number, number];
export type UnlockLevel = 0 | 1 | 2 | 3 | 4;

export const MAX_LEVEL: UnlockLevel = 4;

/** The profile columns the partner view may draw from. */
export interface ProfileRow {
  id: number;
  gender: Gender | null;
  age: number | null;
  city: string | null;
  bio: string | null;
  interests: string[];
  photoUrl: string | null;
  /** The current uploaded photo's id and BlurHash (photos table), or null without one. */
  photoId: string | null;
  photoPlaceholder: string | null;
}

/** A link to the rendition of `level` of a photo, minted for one viewer in one match (photos/token.ts). */
export type PhotoLink = (photoId: string, level: 2 | 3 | 4) => string;

/** The level an unlock_progress reaches: the number of thresholds at or below it. */
export function levelFor(progress: number, thresholds: Thresholds): UnlockLevel {
  return thresholds.filter((threshold) => progress >= threshold).length as UnlockLevel;
}

/** Thresholds inside SQL: the numbers, or a statement's placeholders bound to them. */
export type ThresholdsSql = readonly [
  number | Placeholder,
  number | Placeholder,
  number | Placeholder,
  number | Placeholder,
];

/** levelFor in SQL, over a progress expression: the same thresholds, counted by the database. */
export function levelSql(progress: SQL, thresholds: ThresholdsSql): SQL {
  const [t1, t2, t3, t4] = thresholds;
  return sql`((${progress} >= ${t1})::int + (${progress} >= ${t2})::int + (${progress} >= ${t3})::int + (${progress} >= ${t4})::int)`;
}

/** A premium viewer sees everything at once; everyone else sees what the progress has unlocked. */
export function viewerLevel(progress: number, thresholds: Thresholds, viewerIsPremium: boolean): UnlockLevel {
  return viewerIsPremium ? MAX_LEVEL : levelFor(progress, thresholds);
}

export function nextUnlockAt(level: UnlockLevel, thresholds: Thresholds): number | null {
  return level >= MAX_LEVEL ? null : thresholds[level as 0 | 1 | 2 | 3];
}

/** The level a message reached by moving the progress from `before` to `after`, or null when it crossed no threshold. */
export function levelReached(before: number, after: number, thresholds: Thresholds): UnlockLevel | null {
  const level = levelFor(after, thresholds);
  return level > levelFor(before, thresholds) ? level : null;
}

/**
 * The partner as the viewer may see them: the fields of every level up to `level` (REVEALS). The
 * real id, the gender and the external photo_url appear only at level 4; from level 2 on, `photo`
 * links to the rendition of the level (strong, light, clear). This is the single place that applies the table.
 */
export function partnerView(profile: ProfileRow, level: UnlockLevel, photoLink: PhotoLink): PartnerProfile {
  const values = {
    age: profile.age,
    city: profile.city,
    photo_url: profile.photoUrl,
    interests: profile.interests,
    bio: profile.bio,
    user_id: profile.id,
    gender: profile.gender,
  };
  const view: PartnerProfile = { user_id: "Mystery User", unlock_level: level };
  for (const reveal of REVEALS.slice(1, level + 1)) {
    for (const field of reveal.fields) Object.assign(view, { [field]: values[field] });
    if (reveal.photoBlur !== undefined) view.photo_blur = reveal.photoBlur;
  }
  if (level >= 2 && view.photo_blur !== undefined) {
    const { photoId, photoPlaceholder } = profile;
    view.photo =
      photoId === null || photoPlaceholder === null
        ? null
        : { url: photoLink(photoId, level as 2 | 3 | 4), blur: view.photo_blur, placeholder: photoPlaceholder };
  }
  return view;
}

export interface UnlockState {
  message_count: number;
  unlock_progress: number;
  unlock_level: UnlockLevel;
  next_unlock_at: number | null;
}

/** The counters every match reply carries, as seen by one viewer. */
export function unlockState(counts: MatchCounts, thresholds: Thresholds, viewerIsPremium: boolean): UnlockState {
  const progress = unlockProgress(counts);
  const level = viewerLevel(progress, thresholds, viewerIsPremium);
  return {
    message_count: counts.messageCount,
    unlock_progress: progress,
    unlock_level: level,
    next_unlock_at: nextUnlockAt(level, thresholds),
  };
}
