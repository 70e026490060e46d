// Photos: replace or remove the caller's photo (renditions in the store, the row in photos), and serve a rendition to a link's holder.
import { randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { type Db, rows } from "../../db/client";
import { matches, photos, users } from "../../db/schema";
import { AppError } from "../../kernel/errors";
import type { PhotoStore } from "../../realtime/photo-store";
import { levelSql, type Thresholds } from "../profiles/unlock";
import { matchOpenSql, premiumSql, unlockProgressSql, userNotFound } from "../rules";
import { checkUpload, invalidImage } from "./guard";
import type { UploadedPhoto } from "./model";
import { type PhotoProcessor, PhotoProcessorBusy } from "./processor";
import type { PhotoGrant, PhotoLinks } from "./token";

/** Which rendition each level's link serves. */
export const RENDITION_AT_LEVEL = { 2: "strong", 3: "light", 4: "clear" } as const;
type Rendition = (typeof RENDITION_AT_LEVEL)[keyof typeof RENDITION_AT_LEVEL];

const keyOf = (photoId: string, rendition: Rendition) => `photos/${photoId}/${rendition}.jpg`;
const keysOf = (photoId: string) => Object.values(RENDITION_AT_LEVEL).map((rendition) => keyOf(photoId, rendition));

/** Too many uploads already wait on this process: the client may retry shortly. */
const photosBusy = () =>
  new AppError(503, "photos_busy", "Too many photos are being processed right now; try again in a few seconds", {
    "retry-after": "5",
  });

/** Every refused link answers this, whatever the reason: no hint that a match, a photo or a partner exists. */
export const photoNotFound = () => new AppError(404, "photo_not_found", "Photo not found");

/**
 * Replaces the caller's photo. The upload is checked (limits, header), decoded and made into its
 * renditions off the event loop, stored under a new random id, and only then made current in one
 * statement; the previous photo's renditions are removed after that. The original is not kept:
 * nothing needs it, and it is the one copy with the camera's EXIF and GPS.
 */
export async function savePhoto(
  db: Db,
  store: PhotoStore,
  processor: PhotoProcessor,
  userId: number,
  file: Uint8Array,
): Promise<UploadedPhoto> {
  const header = checkUpload(file);
  const [owner] = await db.select({ gender: users.gender }).from(users).where(eq(users.id, userId));
  if (!owner || owner.gender === null) throw userNotFound();
  const processed = await processor.process(file, header).catch((error) => {
    if (error instanceof PhotoProcessorBusy) throw photosBusy();
    throw error;
  });
  if (!processed.ok) throw invalidImage(processed.reason);
  const { renditions } = processed;
  const id = randomBytes(16).toString("hex");
  try {
    await Promise.all(
      (["strong", "light", "clear"] as const).map((rendition) =>
        store.put(keyOf(id, rendition), renditions[rendition]),
      ),
    );
  } catch (error) {
    await store.delete(keysOf(id)).catch(() => {});
    throw error;
  }
  const photo = { id, width: renditions.width, height: renditions.height, placeholder: renditions.placeholder };
  // Two uploads of one user at once: the row lock orders them, and each removes the renditions it replaced.
  const previous = await db.transaction(async (tx) => {
    const [old] = await tx.select({ id: photos.id }).from(photos).where(eq(photos.userId, userId)).for("update");
    await tx
      .insert(photos)
      .values({ userId, ...photo })
      .onConflictDoUpdate({ target: photos.userId, set: { ...photo, createdAt: sql`now()` } });
    return old?.id ?? null;
  });
  if (previous !== null) await store.delete(keysOf(previous));
  return { width: photo.width, height: photo.height, placeholder: photo.placeholder };
}

/** Removes the caller's photo, if any: every link to it answers 404 from now on. */
export async function deletePhoto(db: Db, store: PhotoStore, userId: number): Promise<void> {
  const removed = await db.delete(photos).where(eq(photos.userId, userId)).returning({ id: photos.id });
  for (const { id } of removed) await store.delete(keysOf(id));
}

const m = alias(matches, "m");
const viewer = alias(users, "v");

/**
 * Whether the link's grant still holds: the photo is still its owner's current one, and either the
 * viewer is that owner (match 0) or the match is open between the viewer and the owner (a block or
 * an unmatch ends it, and with it every link made in it) and the viewer still sees the link's level
 * there (a premium viewer whose Premium ended since drops back to the match's own level).
 */
async function grantHolds(db: Db, thresholds: Thresholds, grant: PhotoGrant, now: Date): Promise<boolean> {
  const [row] = await rows<{ ok: number }>(
    db,
    sql`SELECT 1 AS ok FROM photos ph
        WHERE ph.id = ${grant.photoId}
          AND ((${grant.matchId}::bigint = 0 AND ph.user_id = ${grant.viewerId})
            OR EXISTS (SELECT 1 FROM matches m JOIN users v ON v.id = ${grant.viewerId}
                        WHERE m.id = ${grant.matchId} AND ${matchOpenSql(m, now)}
                          AND ((m.user_a = v.id AND m.user_b = ph.user_id) OR (m.user_b = v.id AND m.user_a = ph.user_id))
                          AND (${premiumSql(viewer, now)}
                            OR ${levelSql(unlockProgressSql(m), thresholds)} >= ${grant.level}::integer)))`,
  );
  return row !== undefined;
}

export interface ServedPhoto {
  /** Null when the caller's If-None-Match already names this rendition (304). */
  readonly bytes: Uint8Array | null;
  readonly etag: string;
  /** Seconds the browser may keep it: the link's remaining life. */
  readonly maxAge: number;
}

/** The rendition a link serves, or the one 404 for every link that is invalid, expired, altered, of an ended match or of a photo since replaced or deleted. */
export async function servePhoto(
  db: Db,
  store: PhotoStore,
  thresholds: Thresholds,
  links: PhotoLinks,
  token: string,
  ifNoneMatch: string | null,
  now = new Date(),
): Promise<ServedPhoto> {
  const grant = links.open(token, now);
  if (grant === null || !(await grantHolds(db, thresholds, grant, now))) throw photoNotFound();
  const etag = links.etag(grant);
  const maxAge = Math.floor((grant.expiresAt.getTime() - now.getTime()) / 1000);
  if (ifNoneMatch?.split(",").some((tag) => tag.trim() === etag)) return { bytes: null, etag, maxAge };
  const bytes = await store.get(keyOf(grant.photoId, RENDITION_AT_LEVEL[grant.level]));
  if (bytes === null) throw photoNotFound();
  return { bytes, etag, maxAge };
}
