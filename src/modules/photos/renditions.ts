// The three renditions of a photo and its BlurHash, made once at upload from the decoded pixels: clear (level 4),
// light (level 3) and strong (level 2), each re-encoded as a fresh JPEG, so no byte or tag of the upload survives.
import { encode as blurhash } from "blurhash";
import { encodeJpegImage, type Rgba } from "./codecs";

/** The long side of the clear rendition, at most (smaller photos keep their size). */
export const CLEAR_MAX_SIDE = 1280;

/**
 * How each blurred rendition is made. The blur is relative to the photo's size, not a fixed radius:
 * the photo is first averaged down to `detail` pixels on its long side — every finer feature is
 * gone from the data, not hidden, so no sharpening can bring it back — then drawn at `side` pixels
 * with a Gaussian blur of `sigma` × `side` to melt the blocks. strong keeps 12 pixels across a
 * photo: a face (a third of the frame) is four pixels wide, a skin-coloured blob with no eyes,
 * nose or mouth. light keeps 40: head, hair, shoulders and colours read, a face does not.
 */
export const BLURS = {
  strong: { detail: 12, side: 320, sigma: 0.05 },
  light: { detail: 40, side: 480, sigma: 0.012 },
} as const;

const QUALITY = { clear: 82, blurred: 70 } as const;

export interface Renditions {
  readonly clear: Uint8Array;
  readonly light: Uint8Array;
  readonly strong: Uint8Array;
  /** Of the clear rendition. */
  readonly width: number;
  readonly height: number;
  /** BlurHash of the photo. */
  readonly placeholder: string;
}

/** Makes the renditions of decoded pixels stored with EXIF `orientation` (1: as stored). */
export async function makeRenditions(decoded: Rgba, orientation: number): Promise<Renditions> {
  const upright = orient(fit(flatten(decoded), CLEAR_MAX_SIDE), orientation);
  const clear = await encodeJpegImage(upright, QUALITY.clear);
  const light = await encodeJpegImage(blurred(upright, BLURS.light), QUALITY.blurred);
  const strong = await encodeJpegImage(blurred(upright, BLURS.strong), QUALITY.blurred);
  return { clear, light, strong, width: upright.width, height: upright.height, placeholder: placeholderOf(upright) };
}

/** A 4×3 (or 3×4) component BlurHash, computed from a 32-pixel copy (the hash keeps only those few components). */
function placeholderOf(image: Rgba): string {
  const small = fit(image, 32);
  const wide = small.width >= small.height;
  return blurhash(small.data, small.width, small.height, wide ? 4 : 3, wide ? 3 : 4);
}

function blurred(image: Rgba, { detail, side, sigma }: { detail: number; side: number; sigma: number }): Rgba {
  const target = scaledSize(image, side);
  const upscaled = bilinear(fit(image, detail), target.width, target.height);
  return gaussian(upscaled, sigma * Math.max(target.width, target.height));
}

/** The size of `image` with its long side at most `side` (never enlarged), aspect kept. */
function scaledSize(image: Rgba, side: number): { width: number; height: number } {
  const scale = Math.min(1, side / Math.max(image.width, image.height));
  return {
    width: Math.max(1, Math.round(image.width * scale)),
    height: Math.max(1, Math.round(image.height * scale)),
  };
}

/** Transparent pixels over white, alpha dropped (a JPEG has none; hidden pixels behind alpha 0 stay hidden). */
function flatten(image: Rgba): Rgba {
  const { data } = image;
  for (let i = 0; i < data.length; i += 4) {
    const alpha = data[i + 3]!;
    if (alpha === 255) continue;
    const white = 255 * (255 - alpha);
    data[i] = (data[i]! * alpha + white) / 255;
    data[i + 1] = (data[i + 1]! * alpha + white) / 255;
    data[i + 2] = (data[i + 2]! * alpha + white) / 255;
    data[i + 3] = 255;
  }
  return image;
}

/** Area-average downscale so the long side is at most `side`: each output pixel is the mean of the source pixels it covers. */
export function fit(image: Rgba, side: number): Rgba {
  const { width, height } = scaledSize(image, side);
  if (width === image.width && height === image.height) return image;
  const src = image.data;
  const out = new Uint8ClampedArray(width * height * 4);
  const row = new Float64Array(width * 4);
  // Column spans of each output pixel, computed once.
  const x0 = new Int32Array(width);
  const x1 = new Int32Array(width);
  for (let x = 0; x < width; x++) {
    x0[x] = Math.floor((x * image.width) / width);
    x1[x] = Math.max(x0[x]! + 1, Math.floor(((x + 1) * image.width) / width));
  }
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor((y * image.height) / height);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * image.height) / height));
    row.fill(0);
    for (let sy = y0; sy < y1; sy++) {
      const base = sy * image.width * 4;
      for (let x = 0; x < width; x++) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let sx = x0[x]!; sx < x1[x]!; sx++) {
          const i = base + sx * 4;
          r += src[i]!;
          g += src[i + 1]!;
          b += src[i + 2]!;
        }
        row[x * 4] = row[x * 4]! + r;
        row[x * 4 + 1] = row[x * 4 + 1]! + g;
        row[x * 4 + 2] = row[x * 4 + 2]! + b;
      }
    }
    for (let x = 0; x < width; x++) {
      const n = (y1 - y0) * (x1[x]! - x0[x]!);
      const o = (y * width + x) * 4;
      out[o] = row[x * 4]! / n;
      out[o + 1] = row[x * 4 + 1]! / n;
      out[o + 2] = row[x * 4 + 2]! / n;
      out[o + 3] = 255;
    }
  }
  return { data: out, width, height };
}

/** Bilinear enlargement (pixel centres aligned), for drawing a tiny image at a viewable size. */
function bilinear(image: Rgba, width: number, height: number): Rgba {
  const src = image.data;
  const out = new Uint8ClampedArray(width * height * 4);
  const sw = image.width;
  const sh = image.height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max(((y + 0.5) * sh) / height - 0.5, 0), sh - 1);
    const ya = Math.floor(fy);
    const yb = Math.min(ya + 1, sh - 1);
    const wy = fy - ya;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max(((x + 0.5) * sw) / width - 0.5, 0), sw - 1);
      const xa = Math.floor(fx);
      const xb = Math.min(xa + 1, sw - 1);
      const wx = fx - xa;
      const o = (y * width + x) * 4;
      for (let c = 0; c < 3; c++) {
        const top = src[(ya * sw + xa) * 4 + c]! * (1 - wx) + src[(ya * sw + xb) * 4 + c]! * wx;
        const bottom = src[(yb * sw + xa) * 4 + c]! * (1 - wx) + src[(yb * sw + xb) * 4 + c]! * wx;
        out[o + c] = top * (1 - wy) + bottom * wy;
      }
      out[o + 3] = 255;
    }
  }
  return { data: out, width, height };
}

/** A Gaussian blur of standard deviation `sigma` pixels, as three box blurs each way (edges clamped). */
function gaussian(image: Rgba, sigma: number): Rgba {
  // Box widths whose three passes give the wanted variance (the usual three-box approximation).
  const ideal = Math.sqrt((12 * sigma * sigma) / 3 + 1);
  let lower = Math.floor(ideal);
  if (lower % 2 === 0) lower--;
  const upper = lower + 2;
  const m = Math.round((12 * sigma * sigma - 3 * lower * lower - 12 * lower - 9) / (-4 * lower - 4));
  let data = image.data;
  for (let pass = 0; pass < 3; pass++) {
    const radius = ((pass < m ? lower : upper) - 1) / 2;
    if (radius < 1) continue;
    data = boxBlur(boxBlur(data, image.width, image.height, radius, true), image.width, image.height, radius, false);
  }
  return { data, width: image.width, height: image.height };
}

/** One box blur pass along rows (`horizontal`) or columns, with a running sum. */
function boxBlur(src: Uint8ClampedArray, width: number, height: number, radius: number, horizontal: boolean) {
  const out = new Uint8ClampedArray(src.length);
  const lines = horizontal ? height : width;
  const length = horizontal ? width : height;
  const step = horizontal ? 4 : width * 4;
  const size = 2 * radius + 1;
  for (let line = 0; line < lines; line++) {
    const start = horizontal ? line * width * 4 : line * 4;
    const at = (k: number) => start + Math.min(Math.max(k, 0), length - 1) * step;
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      for (let k = -radius; k <= radius; k++) sum += src[at(k) + c]!;
      for (let k = 0; k < length; k++) {
        out[start + k * step + c] = sum / size;
        sum += src[at(k + radius + 1) + c]! - src[at(k - radius) + c]!;
      }
    }
    for (let k = 0; k < length; k++) out[start + k * step + 3] = 255;
  }
  return out;
}

/** Turns pixels stored with EXIF `orientation` upright (2–8: mirrored and/or rotated; anything else as stored). */
export function orient(image: Rgba, orientation: number): Rgba {
  if (orientation < 2 || orientation > 8) return image;
  const { width: w, height: h, data } = image;
  const swap = orientation >= 5;
  const width = swap ? h : w;
  const height = swap ? w : h;
  const out = new Uint8ClampedArray(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // The stored pixel (sx, sy) that shows at (x, y) upright.
      let sx: number;
      let sy: number;
      switch (orientation) {
        case 2:
          [sx, sy] = [w - 1 - x, y];
          break;
        case 3:
          [sx, sy] = [w - 1 - x, h - 1 - y];
          break;
        case 4:
          [sx, sy] = [x, h - 1 - y];
          break;
        case 5:
          [sx, sy] = [y, x];
          break;
        case 6:
          [sx, sy] = [y, h - 1 - x];
          break;
        case 7:
          [sx, sy] = [w - 1 - y, h - 1 - x];
          break;
        default:
          [sx, sy] = [w - 1 - y, x];
      }
      out.set(data.subarray((sy * w + sx) * 4, (sy * w + sx) * 4 + 4), (y * width + x) * 4);
    }
  }
  return { data: out, width, height };
}
