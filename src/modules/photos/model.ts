// Photo request and reply schemas.
import { t } from "elysia";

export const PhotoUpload = t.Object({
  photo: t.File({ description: "JPEG, PNG or WebP; at most 10 MiB and 40 megapixels" }),
});

export const UploadedPhoto = t.Object({
  width: t.Integer({ description: "Of the clear rendition (at most 1280 px on the long side)" }),
  height: t.Integer(),
  placeholder: t.String({ description: "BlurHash of the photo, to draw while a rendition loads" }),
});
export type UploadedPhoto = typeof UploadedPhoto.static;

export const PhotoReply = t.Object({ success: t.Literal(true), photo: UploadedPhoto });
export const DeletedReply = t.Object({ success: t.Literal(true) });

export const PhotoToken = t.Object({
  token: t.String({ maxLength: 200, description: "The opaque token of a photo link" }),
});
