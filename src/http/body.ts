// Request bodies: at most 64 KiB, read as JSON (strict UTF-8, bounded nesting, an object at the top level); a photo upload's multipart form up to its own limit.
import { AppError, invalidField } from "../kernel/errors";

export const MAX_BODY_BYTES = 64 * 1024;

const sizeOf = (bytes: number) => (bytes >= 1024 * 1024 ? `${bytes / 1024 / 1024} MiB` : `${bytes / 1024} KiB`);

export const tooLarge = (limit = MAX_BODY_BYTES) =>
  new AppError(413, "payload_too_large", `The request body is larger than ${sizeOf(limit)}`);

/** Reads at most `limit` bytes of the body; a longer body is refused as soon as it is seen. */
async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** Every body is read as JSON whatever its content type, after the size check (see parseJson). */
export async function parseJsonBody(request: Request): Promise<unknown> {
  return parseJson(await readBody(request, MAX_BODY_BYTES));
}

/**
 * A multipart/form-data body of at most `limit` bytes, as an object of its fields (a file field is
 * a File). Not multipart, or malformed: 400 invalid_multipart.
 */
export async function parseMultipartBody(request: Request, limit: number): Promise<Record<string, unknown>> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data\s*;/i.test(type)) {
    throw new AppError(400, "invalid_multipart", "The request body must be multipart/form-data");
  }
  const bytes = await readBody(request, limit);
  let form: FormData;
  try {
    form = await new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { "content-type": type } }).formData();
  } catch {
    throw new AppError(400, "invalid_multipart", "The request body is not valid multipart/form-data");
  }
  return Object.fromEntries(form.entries());
}

/** Deeper bodies are refused: no request of the API nests more than 2 levels. */
export const MAX_JSON_DEPTH = 32;

// fatal: bytes that are not UTF-8 are an error, not U+FFFD. ignoreBOM: a BOM stays, and JSON.parse refuses it.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const invalidJson = (message = "The request body is not valid JSON") => new AppError(400, "invalid_json", message);

/** The deepest nesting of arrays and objects in JSON text (outside its strings). */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c) i++;
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (code === 0x5d || code === 0x7d) depth--;
  }
  return deepest;
}

/**
 * Own "toString" and "valueOf" keys are dropped as the JSON is parsed. No schema has them, so they
 * are ignored like any unknown field; kept, they would make the object unprintable, and Elysia
 * prints the refused value into its validation error ({"init_data": {"toString": ""}} was a 500).
 */
const dropConversionKeys = (key: string, value: unknown) =>
  key === "toString" || key === "valueOf" ? undefined : value;

/**
 * Parses a request body. Empty (or only whitespace) means `{}`. Not UTF-8 or not JSON: 400
 * invalid_json. Nested deeper than MAX_JSON_DEPTH: 400 json_too_deep (Elysia's validation error
 * recurses over the refused value: 30 000 levels overflowed the stack, and pretty-printing them
 * ran out of memory). Not an object: 422 naming `body` (Elysia would validate it as `{}`).
 */
export function parseJson(bytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw invalidJson("The request body is not valid UTF-8");
  }
  if (text.trim() === "") return {};
  // Before parsing: JSON.parse's reviver recurses too.
  if (nestingDepth(text) > MAX_JSON_DEPTH) {
    throw new AppError(400, "json_too_deep", `The request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text, dropConversionKeys);
  } catch {
    throw invalidJson();
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidField("body", "must be a JSON object");
  }
  return value as Record<string, unknown>;
}
