// The photo pipeline from bytes to renditions: header sniffing, the upload limits, and what the renditions hold (and do not).
import { afterAll, describe, expect, test } from "bun:test";
import decodeJpeg from "@jsquash/jpeg/decode";
import { checkUpload, MAX_PHOTO_BYTES } from "../../../src/modules/photos/guard";
import { readImageHeader } from "../../../src/modules/photos/image-header";
import { PhotoProcessor, PhotoProcessorBusy, type Processed } from "../../../src/modules/photos/processor";
import {
  EXIF_SECRETS,
  facePixels,
  jpegMarkers,
  jpegOf,
  meanColour,
  type Pixels,
  pngClaiming,
  pngOf,
  webpOf,
  withExif,
} from "../../helpers/images";

const processor = new PhotoProcessor();
afterAll(() => processor.close());

const face = facePixels(900, 600, { marker: true });
const jpeg = await jpegOf(face);
const png = await pngOf(facePixels(300, 400));
const webp = await webpOf(facePixels(320, 240));

async function run(bytes: Uint8Array): Promise<Processed> {
  return processor.process(bytes.slice(), checkUpload(bytes));
}

function renditionsOf(outcome: Processed) {
  if (!outcome.ok) throw new Error(`refused: ${outcome.reason}`);
  return outcome.renditions;
}

const decoded = async (bytes: Uint8Array): Promise<Pixels> =>
  decodeJpeg(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);

describe("the header is read without decoding", () => {
  test("JPEG, PNG and WebP give their type and size", () => {
    expect(readImageHeader(jpeg)).toEqual({ type: "jpeg", width: 900, height: 600, orientation: 1 });
    expect(readImageHeader(png)).toEqual({ type: "png", width: 300, height: 400, orientation: 1 });
    expect(readImageHeader(webp)).toEqual({ type: "webp", width: 320, height: 240, orientation: 1 });
    expect(readImageHeader(withExif(jpeg, 6))).toEqual({ type: "jpeg", width: 900, height: 600, orientation: 6 });
  });

  test("anything else, or a file cut short, has no header", () => {
    const gif = new TextEncoder().encode("GIF89a\x01\x00\x01\x00\x00\x00\x00;");
    const fakeJpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...new TextEncoder().encode("not really a jpeg")]);
    for (const bytes of [
      gif,
      fakeJpeg,
      new TextEncoder().encode("<svg xmlns='http://www.w3.org/2000/svg'/>"),
      jpeg.subarray(0, jpeg.length / 2), // no end-of-image marker after the scan
      jpeg.subarray(0, 40),
      png.subarray(0, 20),
      webp.subarray(0, 20),
      new Uint8Array(),
    ]) {
      expect(readImageHeader(bytes)).toBeNull();
    }
  });
});

describe("the upload limits", () => {
  const refusal = (bytes: Uint8Array) => {
    try {
      checkUpload(bytes);
      return null;
    } catch (error) {
      const { status, code } = error as { status: number; code: string };
      return { status, code };
    }
  };

  test("more than 10 MiB is 413 payload_too_large", () => {
    const big = new Uint8Array(MAX_PHOTO_BYTES + 1);
    big.set(jpeg);
    expect(refusal(big)).toEqual({ status: 413, code: "payload_too_large" });
  });

  test("a header claiming more than 40 megapixels is refused before anything is decoded", () => {
    expect(refusal(pngClaiming(60_000, 60_000))).toEqual({ status: 422, code: "invalid_image" });
    expect(refusal(pngClaiming(8000, 5001))).toEqual({ status: 422, code: "invalid_image" });
    expect(refusal(pngClaiming(8000, 5000))).toBeNull();
  });

  test("not an image is 422 invalid_image", () => {
    expect(refusal(new TextEncoder().encode("hello"))).toEqual({ status: 422, code: "invalid_image" });
    expect(refusal(jpeg.subarray(0, jpeg.length - 100))).toEqual({ status: 422, code: "invalid_image" });
  });
});

describe("the renditions", () => {
  test("all three are fresh JPEGs: no EXIF, no GPS, no byte of the camera's tags", async () => {
    const result = renditionsOf(await run(withExif(jpeg)));
    for (const rendition of [result.clear, result.light, result.strong]) {
      // SOI, then only JFIF (APP0), tables, frame and scan: no APP1 (EXIF/XMP), no other APPn, no comment.
      expect(jpegMarkers(rendition).filter((m) => (m >= 0xe1 && m <= 0xef) || m === 0xfe)).toEqual([]);
      const text = new TextDecoder("latin1").decode(rendition);
      for (const secret of [...EXIF_SECRETS, "Exif"]) expect(text).not.toContain(secret);
    }
  });

  test("clear keeps the size up to 1280 px on the long side; light and strong are smaller", async () => {
    const big = renditionsOf(await run(await jpegOf(facePixels(2000, 1500), 80)));
    expect([big.width, big.height]).toEqual([1280, 960]);
    const clear = await decoded(big.clear);
    expect([clear.width, clear.height]).toEqual([1280, 960]);
    expect([(await decoded(big.light)).width, (await decoded(big.strong)).width]).toEqual([480, 320]);
    const small = renditionsOf(await run(png));
    expect([small.width, small.height]).toEqual([300, 400]);
  });

  test("PNG and WebP uploads give JPEG renditions and a BlurHash", async () => {
    for (const bytes of [png, webp]) {
      const result = renditionsOf(await run(bytes));
      expect(readImageHeader(result.clear)?.type).toBe("jpeg");
      expect(result.placeholder).toMatch(/^[0-9A-Za-z#$%*+,\-.:;=?@[\]^_{|}~]{20,40}$/);
    }
  });

  test("an EXIF orientation is applied: a photo stored sideways comes out upright", async () => {
    // Stored 900×600 with the red marker top-left; orientation 6 means "rotate 90° clockwise to show".
    const result = renditionsOf(await run(withExif(jpeg, 6)));
    expect([result.width, result.height]).toEqual([600, 900]);
    const clear = await decoded(result.clear);
    const [r, g] = meanColour(clear, clear.width - 40, 10, clear.width - 10, 40);
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(60);
  });

  test("strong leaves no facial feature: the eyes and mouth are the colour of the cheeks around them", async () => {
    const result = renditionsOf(await run(jpeg));
    // Where the face drawn by facePixels has its left eye, its mouth, and plain skin, as fractions of the picture.
    const cx = 0.5;
    const rx = (0.22 * 600) / 900;
    const ry = (0.22 * 600 * 1.3) / 600;
    const regions = {
      eye: [cx - rx * 0.4, 0.5 - ry * 0.25],
      mouth: [cx, 0.5 + ry * 0.45],
      cheek: [cx - rx * 0.45, 0.5 + ry * 0.1],
    } as const;
    const contrast = (image: Pixels, feature: readonly [number, number]) => {
      const at = ([fx, fy]: readonly [number, number]) => {
        const [x, y] = [fx * image.width, fy * image.height];
        const d = Math.max(1, image.width * 0.01);
        return meanColour(image, x - d, y - d, x + d, y + d);
      };
      const a = at(feature);
      const b = at(regions.cheek);
      return Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
    };
    const clear = await decoded(result.clear);
    const strong = await decoded(result.strong);
    const light = await decoded(result.light);
    // Clear: the eye is ~200 levels darker than the cheek. Strong: within a few levels (no feature left).
    expect(contrast(clear, regions.eye)).toBeGreaterThan(150);
    expect(contrast(clear, regions.mouth)).toBeGreaterThan(100);
    expect(contrast(strong, regions.eye)).toBeLessThan(20);
    expect(contrast(strong, regions.mouth)).toBeLessThan(20);
    // Light: still blurred (far below clear), but the face's shapes are there.
    expect(contrast(light, regions.eye)).toBeLessThan(contrast(clear, regions.eye) / 2);
  });

  test("a job over the time limit is refused and its worker ended; the next job gets a new worker", async () => {
    const limits = { timeoutMs: 1, maxWaiting: 4 };
    const slow = new PhotoProcessor(limits);
    try {
      const big = await jpegOf(facePixels(2000, 1500), 80);
      expect(await slow.process(big.slice(), checkUpload(big))).toEqual({
        ok: false,
        reason: "it took too long to process",
      });
      limits.timeoutMs = 30_000;
      expect((await slow.process(png.slice(), checkUpload(png))).ok).toBe(true);
    } finally {
      slow.close();
    }
  });

  test("beyond maxWaiting jobs waiting, one more is refused at once; the accepted ones complete", async () => {
    const small = new PhotoProcessor({ timeoutMs: 30_000, maxWaiting: 2 });
    try {
      const accepted = [small.process(png.slice(), checkUpload(png)), small.process(png.slice(), checkUpload(png))];
      await expect(small.process(png.slice(), checkUpload(png))).rejects.toBeInstanceOf(PhotoProcessorBusy);
      expect((await Promise.all(accepted)).map((outcome) => outcome.ok)).toEqual([true, true]);
    } finally {
      small.close();
    }
  });

  test("a file with a valid header but broken data is refused, and the next upload still works", async () => {
    const broken = jpeg.slice();
    // Keep the headers (the first 600 bytes) and the end marker; scramble the scan data between.
    for (let i = 600; i < broken.length - 2; i++) broken[i] = (i * 7919) & 0xff;
    broken[broken.length - 2] = 0xff;
    broken[broken.length - 1] = 0xd9;
    const pngBroken = png.slice(0, png.length - 200);
    for (const bytes of [broken, pngBroken]) {
      const header = readImageHeader(bytes);
      if (header === null) continue; // refused even earlier: fine
      const outcome = await processor.process(bytes.slice(), header);
      expect(outcome.ok).toBe(false);
    }
    expect((await run(png)).ok).toBe(true);
  });
});
