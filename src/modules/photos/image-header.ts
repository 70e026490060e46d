// What an uploaded file claims to be, read from its first bytes alone: JPEG, PNG or WebP, its size in pixels, its EXIF orientation.
// Nothing here decodes pixels: the decoder only ever sees a file whose header passed (see guard.ts).

export type ImageType = "jpeg" | "png" | "webp";

export interface ImageHeader {
  readonly type: ImageType;
  readonly width: number;
  readonly height: number;
  /** EXIF orientation 1–8 (1: as stored); only JPEGs carry one here. */
  readonly orientation: number;
}

const u16 = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u32 = (b: Uint8Array, i: number) => (b[i]! * 2 ** 24 + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!) >>> 0;
const le16 = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8);
const le24 = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
const ascii = (b: Uint8Array, i: number, text: string) =>
  b.length >= i + text.length && [...text].every((c, k) => b[i + k] === c.charCodeAt(0));

/** The header of a JPEG, PNG or WebP file, or null when the bytes are none of these or are cut short. */
export function readImageHeader(bytes: Uint8Array): ImageHeader | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return jpegHeader(bytes);
  if (ascii(bytes, 0, "\x89PNG\r\n\x1a\n")) return pngHeader(bytes);
  if (ascii(bytes, 0, "RIFF") && ascii(bytes, 8, "WEBP")) return webpHeader(bytes);
  return null;
}

const sized = (type: ImageType, width: number, height: number, orientation = 1): ImageHeader | null =>
  width > 0 && height > 0 ? { type, width, height, orientation } : null;

// Start-of-frame markers (baseline, progressive, lossless, arithmetic); C4, C8 and CC are not frames.
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/**
 * Walks the marker segments to the first scan, reading the frame header (SOFn) and the EXIF
 * orientation on the way. A JPEG cut short decodes "successfully" (the decoder greys out what is
 * missing), so the file must also hold an end-of-image marker after its scan data: inside entropy-coded
 * data 0xFF is always followed by 0x00 or a restart marker, so FF D9 there is the real end.
 */
function jpegHeader(b: Uint8Array): ImageHeader | null {
  let orientation = 1;
  let frame: ImageHeader | null = null;
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9) return null; // end of image before any scan
    const length = u16(b, i + 2);
    if (length < 2 || i + 2 + length > b.length) return null;
    if (marker === 0xda) return frame && hasEndAfter(b, i + 2 + length) ? frame : null;
    if (SOF.has(marker) && frame === null) {
      if (length < 7) return null;
      frame = sized("jpeg", u16(b, i + 7), u16(b, i + 5), orientation);
      if (frame === null) return null;
    }
    if (marker === 0xe1 && frame === null && ascii(b, i + 4, "Exif\0\0")) {
      orientation = exifOrientation(b.subarray(i + 10, i + 2 + length)) ?? orientation;
    }
    i += 2 + length;
  }
  return null;
}

function hasEndAfter(b: Uint8Array, start: number): boolean {
  for (let i = b.length - 2; i >= start; i--) if (b[i] === 0xff && b[i + 1] === 0xd9) return true;
  return false;
}

/** Tag 0x0112 of IFD0 in a TIFF block, when it holds 1–8. */
function exifOrientation(tiff: Uint8Array): number | null {
  if (tiff.length < 8) return null;
  const little = ascii(tiff, 0, "II");
  if (!little && !ascii(tiff, 0, "MM")) return null;
  const at16 = (i: number) => (little ? le16(tiff, i) : u16(tiff, i));
  const at32 = (i: number) => (little ? (le16(tiff, i) | (le16(tiff, i + 2) << 16)) >>> 0 : u32(tiff, i));
  const ifd = at32(4);
  if (ifd + 2 > tiff.length) return null;
  const count = at16(ifd);
  for (let k = 0; k < count; k++) {
    const entry = ifd + 2 + k * 12;
    if (entry + 12 > tiff.length) return null;
    if (at16(entry) === 0x0112) {
      const value = at16(entry + 8);
      return value >= 1 && value <= 8 ? value : null;
    }
  }
  return null;
}

/** The IHDR chunk, which the format requires to come first. */
function pngHeader(b: Uint8Array): ImageHeader | null {
  if (b.length < 24 || !ascii(b, 12, "IHDR")) return null;
  return sized("png", u32(b, 16), u32(b, 20));
}

/** The first chunk: VP8X (extended: the canvas size), VP8 (lossy) or VP8L (lossless). */
function webpHeader(b: Uint8Array): ImageHeader | null {
  if (ascii(b, 12, "VP8X")) {
    if (b.length < 30) return null;
    return sized("webp", le24(b, 24) + 1, le24(b, 27) + 1);
  }
  if (ascii(b, 12, "VP8 ")) {
    if (b.length < 30 || b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return null;
    return sized("webp", le16(b, 26) & 0x3fff, le16(b, 28) & 0x3fff);
  }
  if (ascii(b, 12, "VP8L")) {
    if (b.length < 25 || b[20] !== 0x2f) return null;
    const bits = (b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24)) >>> 0;
    return sized("webp", (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  return null;
}
