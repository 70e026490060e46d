// The image codecs, WebAssembly builds of mozjpeg, libwebp and the png crate (@jsquash/*), loaded from files
// embedded in the binary: decode JPEG/PNG/WebP to RGBA, encode RGBA to a JPEG with no metadata.

import jpegDecoderWasm from "@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm" with { type: "file" };
import jpegEncoderWasm from "@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm" with { type: "file" };
import decodeJpeg, { init as initJpegDecoder } from "@jsquash/jpeg/decode";
import encodeJpeg, { init as initJpegEncoder } from "@jsquash/jpeg/encode";
// @ts-expect-error the package's own .d.ts for this file describes its exports, not the file path Bun gives.
import pngWasm from "@jsquash/png/codec/pkg/squoosh_png_bg.wasm" with { type: "file" };
import decodePng, { init as initPngDecoder } from "@jsquash/png/decode";
import webpDecoderWasm from "@jsquash/webp/codec/dec/webp_dec.wasm" with { type: "file" };
import decodeWebp, { init as initWebpDecoder } from "@jsquash/webp/decode";
import type { ImageType } from "./image-header";

/** Pixels as the codecs use them: 4 bytes (RGBA) per pixel, row by row. */
export interface Rgba {
  readonly data: Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

// The emscripten builds construct their result with the browser's ImageData, which Bun lacks.
globalThis.ImageData ??= class {
  constructor(
    readonly data: Uint8ClampedArray,
    readonly width: number,
    readonly height: number,
  ) {}
} as unknown as typeof ImageData;

/**
 * libjpeg reports damaged data (a bad Huffman code, a premature end) as a warning and fills the gap
 * with grey; the warning reaches emscripten's printErr. A decode that warned is treated as a failure.
 */
let jpegWarnings = 0;

const compile = async (path: string) => WebAssembly.compile(await Bun.file(path).arrayBuffer());

// Each codec is compiled from its embedded file once, on first use (the packages would otherwise
// look for the .wasm beside their own module, which does not exist inside the binary).
let ready: Promise<void> | null = null;
function loadCodecs(): Promise<void> {
  ready ??= (async () => {
    const [jpegDec, jpegEnc, png, webpDec] = (await Promise.all(
      [jpegDecoderWasm, jpegEncoderWasm, pngWasm as string, webpDecoderWasm].map(compile),
    )) as [WebAssembly.Module, WebAssembly.Module, WebAssembly.Module, WebAssembly.Module];
    await Promise.all([
      (initJpegDecoder as (module: WebAssembly.Module, options: object) => Promise<void>)(jpegDec, {
        printErr: () => jpegWarnings++,
      }),
      initJpegEncoder(jpegEnc),
      initPngDecoder(png),
      initWebpDecoder(webpDec),
    ]);
  })();
  return ready;
}

/** Decodes a file to RGBA; throws on anything the decoder refuses. */
export async function decodeImage(type: ImageType, bytes: Uint8Array): Promise<Rgba> {
  await loadCodecs();
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  if (type === "jpeg") {
    const before = jpegWarnings;
    const image = await decodeJpeg(buffer);
    if (jpegWarnings !== before) throw new Error("the JPEG data is damaged");
    return image;
  }
  if (type === "png") return decodePng(buffer);
  return decodeWebp(buffer);
}

/** A baseline-compatible progressive JPEG of the pixels: a JFIF header and nothing else (no EXIF, no GPS). */
export async function encodeJpegImage(image: Rgba, quality: number): Promise<Uint8Array> {
  await loadCodecs();
  return new Uint8Array(await encodeJpeg(image as ImageData, { quality }));
}
