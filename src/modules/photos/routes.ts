// PUT/DELETE /api/mystery/profile/photo (the caller's photo) and GET /api/mystery/photos/{token} (a rendition, for an <img>).
import { Elysia, t } from "elysia";
import { errors } from "../../kernel/schemas";
import { createPhotoStore } from "../../realtime";
import { authPlugin } from "../auth/plugin";
import type { AppDeps } from "../deps";
import { limitsOf } from "../limits";
import { MAX_PHOTO_BYTES } from "./guard";
import { DeletedReply, PhotoReply, PhotoToken, PhotoUpload } from "./model";
import { PhotoProcessor } from "./processor";
import { deletePhoto, savePhoto, servePhoto } from "./service";
import { PHOTOS_PATH, photoLinks } from "./token";

/** The one route whose body is a multipart form, and its limit: the photo's 10 MiB and room for the form around it. */
export const PHOTO_UPLOAD = {
  method: "PUT",
  path: "/api/mystery/profile/photo",
  bodyLimit: MAX_PHOTO_BYTES + 64 * 1024,
} as const;

export const photoRoutes = ({ db, config, activity, realtime: { limiter } }: AppDeps) => {
  const store = createPhotoStore(db, config.s3);
  const processor = new PhotoProcessor();
  const links = photoLinks(config.jwtSecret);
  const limits = limitsOf(config.rateLimits);
  return new Elysia({ name: "photos" })
    .use(authPlugin(config, activity))
    .put(
      PHOTO_UPLOAD.path,
      async ({ userId, body }) => {
        await limiter.take(limits.photoUpload, userId);
        const file = new Uint8Array(await body.photo.arrayBuffer());
        return { success: true as const, photo: await savePhoto(db, store, processor, userId, file) };
      },
      {
        auth: true,
        body: PhotoUpload,
        response: { 200: PhotoReply, ...errors(400, 401, 404, 413, 422, 429, 503) },
        detail: {
          tags: ["profile"],
          summary: "Upload your photo (replaces the one you had)",
          description:
            "multipart/form-data with one file field `photo`: JPEG, PNG or WebP, at most 10 MiB and 40 " +
            "megapixels (413 payload_too_large / 422 invalid_image). The server keeps three renditions " +
            "(strong blur for level 2, light blur for level 3, clear at most 1280 px for level 4), each " +
            "re-encoded without EXIF or GPS, and a BlurHash; the original is not kept. 404 user_not_found " +
            "before your profile exists. At most 10 uploads a minute; 503 photos_busy (with Retry-After) when " +
            "16 uploads already wait on this server process.",
        },
      },
    )
    .delete(
      PHOTO_UPLOAD.path,
      async ({ userId }) => {
        await deletePhoto(db, store, userId);
        return { success: true as const };
      },
      {
        auth: true,
        response: { 200: DeletedReply, ...errors(401) },
        detail: {
          tags: ["profile"],
          summary: "Remove your photo",
          description: "Every link to it answers 404 from now on. Without a photo, nothing changes.",
        },
      },
    )
    .get(
      `${PHOTOS_PATH}/:token`,
      async ({ params, request }) => {
        const served = await servePhoto(
          db,
          store,
          config.unlockThresholds,
          links,
          params.token,
          request.headers.get("if-none-match"),
        );
        const headers = {
          "cache-control": `private, max-age=${served.maxAge}`,
          etag: served.etag,
        };
        if (served.bytes === null) return new Response(null, { status: 304, headers });
        return new Response(served.bytes as Uint8Array<ArrayBuffer>, {
          headers: { ...headers, "content-type": "image/jpeg" },
        });
      },
      {
        params: PhotoToken,
        response: {
          200: t.File({ type: "image/jpeg", description: "The rendition of the link's level (JPEG)" }),
          304: t.Void({ description: "Not modified: If-None-Match named this rendition" }),
          ...errors(404),
        },
        detail: {
          tags: ["profile"],
          summary: "A photo rendition, by the link a partner view or your profile gave you",
          description:
            "No Authorization header: the token in the path is the credential. It is bound to the viewer, " +
            "the match and the unlock level, expires within an hour, and serves only that level's rendition " +
            "(Cache-Control: private, max-age ≤ its remaining life; ETag / If-None-Match). An invalid, " +
            "expired or altered token, one of a match that ended (unmatch, block, expiry) and one of a " +
            "photo since replaced or deleted all answer the same 404 photo_not_found.",
        },
      },
    );
};
