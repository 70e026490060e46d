// The upload's limits, checked before any pixel is decoded: at most 10 MiB, a real JPEG/PNG/WebP header, at most 40 megapixels.
import { AppError } from "../../kernel/errors";
import { type ImageHeader, readImageHeader } from "./image-header";

export const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
export const MAX_PHOTO_PIXELS = 40_000_000;

export const photoTooLarge = () =>
  new AppError(413, "payload_too_large", `The photo is larger than ${MAX_PHOTO_BYTES / 1024 / 1024} MiB`);

export const invalidImage = (why: string) =>
  new AppError(422, "invalid_image", `The photo must be a JPEG, PNG or WebP image: ${why}`);

/**
 * The header of an upload the decoder may be given, or a refusal: over 10 MiB (413), not a JPEG,
 * PNG or WebP or cut short (422), more than 40 megapixels (422: a decompression bomb of a few
 * kilobytes can claim 60 000 × 60 000 pixels, 14 GB decoded, so the size is read from the header).
 */
export function checkUpload(bytes: Uint8Array): ImageHeader {
  if (bytes.byteLength > MAX_PHOTO_BYTES) throw photoTooLarge();
  const header = readImageHeader(bytes);
  if (header === null) throw invalidImage("this file is not one, or it is incomplete");
  if (header.width * header.height > MAX_PHOTO_PIXELS) {
    throw invalidImage(`it has more than ${MAX_PHOTO_PIXELS / 1_000_000} megapixels`);
  }
  return header;
}
