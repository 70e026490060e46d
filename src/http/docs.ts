// The API docs at /swagger, served whole by this binary: an HTML page, Scalar's browser bundle (a pinned
// @scalar/api-reference, embedded by `bun build --compile`) and a small start script, under a policy that
// allows only this origin. Nothing is loaded from another host — the operators paste ADMIN_TOKEN here.
// /swagger/json, the OpenAPI document, stays @elysiajs/swagger's.
import { Elysia } from "elysia";
// A file import gives the bundle's path (inside the executable when compiled). The package's exports do
// not list its browser bundle, hence the path through node_modules; the file has no type declarations.
// @ts-expect-error TS7016: the default export of a file import is its path, a string
import scalarBundle from "../../node_modules/@scalar/api-reference/dist/browser/standalone.js" with { type: "file" };
import { DOCS_CSP } from "./security-headers";

export const DOCS_PATH = "/swagger";
export const SPEC_PATH = `${DOCS_PATH}/json`;
export const SCALAR_PATH = `${DOCS_PATH}/scalar.js`;
const START_PATH = `${DOCS_PATH}/start.js`;

const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Mystery Match API</title>
    <link rel="icon" href="data:," />
  </head>
  <body>
    <div id="docs"></div>
    <script src="${START_PATH}"></script>
    <script src="${SCALAR_PATH}"></script>
  </body>
</html>
`;

/**
 * Scalar's settings: the document from this server; no web fonts (they would come from Scalar's host),
 * no telemetry, no AI agent or MCP panels (they talk to Scalar's services); credentials typed into the
 * page are not kept in local storage.
 */
const settings = {
  url: SPEC_PATH,
  slug: "mystery-match",
  title: "Mystery Match API",
  theme: "elysiajs",
  withDefaultFonts: false,
  telemetry: false,
  persistAuth: false,
  showDeveloperTools: "never",
  agent: { disabled: true },
  mcp: { disabled: true },
};

// Runs before the bundle. The Zod inside it would probe whether eval is allowed (a policy violation
// each time); jitless tells it not to use eval at all. The reference mounts once the page is parsed. Its
// element is not #api-reference: the bundle would mount a second, unconfigured reference there.
const start = `globalThis.__zod_globalConfig = { ...globalThis.__zod_globalConfig, jitless: true };
document.addEventListener("DOMContentLoaded", () => Scalar.createApiReference("#docs", ${JSON.stringify(settings)}));
`;

const HTML = {
  "content-type": "text/html; charset=utf-8",
  "content-security-policy": DOCS_CSP,
  "cache-control": "no-cache",
};
const SCRIPT = "text/javascript; charset=utf-8";

/** A script, revalidated on every load by its ETag (the bundle is 5 MB: a reload should not fetch it again). */
function script(body: () => Blob | string) {
  let etag: string | null = null;
  return async ({ request }: { request: Request }) => {
    etag ??= `"${Bun.hash(await new Response(body()).arrayBuffer()).toString(36)}"`;
    const headers = { "content-type": SCRIPT, "cache-control": "no-cache", etag };
    if (request.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
    return new Response(body(), { headers });
  };
}

/** GET /swagger and its two scripts; used after @elysiajs/swagger, whose own page (a CDN's script) it replaces. */
export const docsPage = new Elysia({ name: "docs-page" })
  .get(DOCS_PATH, () => new Response(page, { headers: HTML }), { detail: { hide: true } })
  .get(
    SCALAR_PATH,
    script(() => Bun.file(scalarBundle as string)),
    { detail: { hide: true } },
  )
  .get(
    START_PATH,
    script(() => start),
    { detail: { hide: true } },
  );
