// Test images made on the spot: a face-like picture, encoded as JPEG, PNG or WebP by the same wasm codecs, with EXIF/GPS added by hand.
import encodeJpeg from "@jsquash/jpeg/encode";
import encodePng from "@jsquash/png/encode";
import encodeWebp from "@jsquash/webp/encode";

export interface Pixels {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

globalThis.ImageData ??= class {
  constructor(
    readonly data: Uint8ClampedArray,
    readonly width: number,
    readonly height: number,
  ) {}
} as unknown as typeof ImageData;

/**
 * A photo-like picture: a colour gradient with grain, and in the middle a skin-coloured face with
 * two dark eyes and a red mouth — the features a strong blur must erase. `marker` paints the
 * top-left corner red (to see which way up a rotated picture came out).
 */
export function facePixels(width: number, height: number, { marker = false } = {}): Pixels {
  const data = new Uint8ClampedArray(width * height * 4);
  let seed = 7;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed / 0x7fffffff - 0.5) * 24;
  };
  const cx = width / 2;
  const cy = height / 2;
  const rx = Math.min(width, height) * 0.22;
  const ry = rx * 1.3;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let rgb = [60 + (x / width) * 120, 90 + (y / height) * 100, 160 - (y / height) * 80];
      if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 < 1) rgb = [225, 180, 150];
      const eye = (ex: number) => ((x - ex) / (rx * 0.18)) ** 2 + ((y - (cy - ry * 0.25)) / (ry * 0.08)) ** 2 < 1;
      if (eye(cx - rx * 0.4) || eye(cx + rx * 0.4)) rgb = [25, 25, 35];
      if (Math.abs(y - (cy + ry * 0.45)) < ry * 0.05 && Math.abs(x - cx) < rx * 0.4) rgb = [170, 30, 45];
      if (marker && x < width / 8 && y < height / 8) rgb = [255, 0, 0];
      const n = noise();
      const i = (y * width + x) * 4;
      data[i] = rgb[0]! + n;
      data[i + 1] = rgb[1]! + n;
      data[i + 2] = rgb[2]! + n;
      data[i + 3] = 255;
    }
  }
  return { data, width, height };
}

export const jpegOf = async (pixels: Pixels, quality = 90) =>
  new Uint8Array(await encodeJpeg(pixels as ImageData, { quality }));
export const pngOf = async (pixels: Pixels) => new Uint8Array(await encodePng(pixels as ImageData));
export const webpOf = async (pixels: Pixels) => new Uint8Array(await encodeWebp(pixels as ImageData, { quality: 80 }));

/** Text that must never leave the server: the camera's make and the GPS block's marker. */
export const EXIF_SECRETS = ["SecretCam", "GPS-48.8584N"];

/**
 * The JPEG with an APP1 EXIF block inserted after its start marker: IFD0 with Make "SecretCam",
 * Orientation `orientation` and a GPS IFD pointer; the GPS IFD holds latitude 48.8584 N and a
 * GPSProcessingMethod "GPS-48.8584N" (so the test can look for the text).
 */
export function withExif(jpeg: Uint8Array, orientation = 1): Uint8Array {
  const tiff: number[] = [];
  const u16 = (v: number) => tiff.push((v >> 8) & 255, v & 255);
  const u32 = (v: number) => tiff.push((v >>> 24) & 255, (v >> 16) & 255, (v >> 8) & 255, v & 255);
  const make = [..."SecretCam\0"].map((c) => c.charCodeAt(0));
  const method = [..."ASCII\0\0\0GPS-48.8584N"].map((c) => c.charCodeAt(0));
  // Layout: header (8) | IFD0: 3 entries (2 + 36 + 4 = 42) | make (10) | GPS IFD: 3 entries (42) | lat (24) | method
  const ifd0 = 8;
  const makeAt = ifd0 + 42;
  const gps = makeAt + make.length;
  const latAt = gps + 42;
  const methodAt = latAt + 24;
  tiff.push(0x4d, 0x4d); // "MM": big-endian
  u16(42);
  u32(ifd0);
  u16(3);
  u16(0x010f); // Make
  u16(2);
  u32(make.length);
  u32(makeAt);
  u16(0x0112); // Orientation
  u16(3);
  u32(1);
  u16(orientation);
  u16(0);
  u16(0x8825); // GPSInfo
  u16(4);
  u32(1);
  u32(gps);
  u32(0);
  tiff.push(...make);
  u16(3);
  u16(0x0001); // GPSLatitudeRef
  u16(2);
  u32(2);
  tiff.push(0x4e, 0, 0, 0); // "N"
  u16(0x0002); // GPSLatitude: 3 rationals
  u16(5);
  u32(3);
  u32(latAt);
  u16(0x001b); // GPSProcessingMethod
  u16(7);
  u32(method.length);
  u32(methodAt);
  u32(0);
  for (const [n, d] of [
    [48, 1],
    [51, 1],
    [3024, 100],
  ]) {
    u32(n!);
    u32(d!);
  }
  tiff.push(...method);
  const body = [..."Exif\0\0"].map((c) => c.charCodeAt(0)).concat(tiff);
  const length = body.length + 2;
  const app1 = new Uint8Array([0xff, 0xe1, length >> 8, length & 255, ...body]);
  return new Uint8Array([...jpeg.subarray(0, 2), ...app1, ...jpeg.subarray(2)]);
}

/** The markers of a JPEG's segments up to its first scan (e.g. 0xe0 APP0, 0xe1 APP1/EXIF, 0xfe comment). */
export function jpegMarkers(jpeg: Uint8Array): number[] {
  const found: number[] = [];
  let i = 2;
  while (i + 4 <= jpeg.length && jpeg[i] === 0xff) {
    const marker = jpeg[i + 1]!;
    found.push(marker);
    if (marker === 0xda) break;
    i += 2 + ((jpeg[i + 2]! << 8) | jpeg[i + 3]!);
  }
  return found;
}

/** A PNG that claims `width` × `height` pixels in its header but holds almost nothing (a decompression bomb's header). */
export function pngClaiming(width: number, height: number): Uint8Array {
  const bytes = new Uint8Array(64);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(bytes.buffer).setUint32(16, width);
  new DataView(bytes.buffer).setUint32(20, height);
  bytes.set([8, 6, 0, 0, 0], 24);
  return bytes;
}

/** Mean of each RGB channel over a rectangle of decoded pixels. */
export function meanColour(p: Pixels, x0: number, y0: number, x1: number, y1: number): [number, number, number] {
  const sum = [0, 0, 0];
  let n = 0;
  for (let y = Math.floor(y0); y < y1; y++) {
    for (let x = Math.floor(x0); x < x1; x++) {
      for (let c = 0; c < 3; c++) sum[c]! += p.data[(y * p.width + x) * 4 + c]!;
      n++;
    }
  }
  return sum.map((s) => s / n) as [number, number, number];
}
