// The photo worker's entry: decodes one upload and makes its renditions off the server's event loop (see processor.ts).
import { decodeImage } from "./codecs";
import type { ImageHeader } from "./image-header";
import { makeRenditions } from "./renditions";

declare const self: Worker;

export interface PhotoJob {
  readonly bytes: Uint8Array;
  readonly header: ImageHeader;
}

export type PhotoOutcome =
  | { readonly ok: true; readonly renditions: import("./renditions").Renditions }
  | { readonly ok: false; readonly reason: string };

async function run({ bytes, header }: PhotoJob): Promise<PhotoOutcome> {
  let decoded: Awaited<ReturnType<typeof decodeImage>>;
  try {
    decoded = await decodeImage(header.type, bytes);
  } catch {
    return { ok: false, reason: "the file could not be decoded" };
  }
  // The decoder sizes its output from the header we checked; a file whose frames disagree is refused.
  if (decoded.width !== header.width || decoded.height !== header.height) {
    return { ok: false, reason: "the image's size does not match its header" };
  }
  return { ok: true, renditions: await makeRenditions(decoded, header.orientation) };
}

self.onmessage = async (event: MessageEvent<PhotoJob>) => {
  const outcome = await run(event.data);
  const transfer = outcome.ok
    ? [outcome.renditions.clear.buffer, outcome.renditions.light.buffer, outcome.renditions.strong.buffer]
    : [];
  self.postMessage(outcome, transfer as ArrayBuffer[]);
};
