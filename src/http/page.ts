// The web page as Bun.serve routes, every file of it served with the page's security headers (its
// Content-Security-Policy, nosniff, no-referrer). Importing index.html gives an HTMLBundle, but Bun serves
// an HTMLBundle route with headers of its own only; so its files are served by handlers here instead:
// - in the executable, `bun build --compile` has bundled the page and embedded its files; the HTMLBundle
//   lists them (`files`) with their paths inside the binary;
// - under `bun src/main.ts` (and in tests) the HTMLBundle is bundled lazily and lists nothing: the page is
//   bundled here once, when this module loads, by the same bundler (minified, as in the binary).
// Either way nothing is fetched from elsewhere or written to disk at run time.
import { dirname, join, relative } from "node:path";
import { log } from "../log";
import page from "../web/index.html";
import { BASE_HEADERS, pageCsp } from "./security-headers";

interface PageFile {
  /** The URL path it is served at: "/" for the HTML, "/<name>" for each bundled script and stylesheet. */
  route: string;
  body: Blob;
  type: string;
  etag: string;
}

async function pageFiles(): Promise<PageFile[]> {
  if (page.files) {
    const root = dirname(page.index);
    return page.files.map((file) => ({
      route: file.path === page.index ? "/" : `/${relative(root, file.path)}`,
      body: Bun.file(file.path),
      type: file.headers["content-type"],
      etag: `"${file.headers.etag}"`,
    }));
  }
  const built = await Bun.build({
    entrypoints: [join(import.meta.dir, "../web/index.html")],
    target: "browser",
    minify: true,
    publicPath: "/",
  });
  if (!built.success) throw new AggregateError(built.logs, "the web page did not bundle");
  return Promise.all(
    built.outputs.map(async (output) => ({
      route: output.path.endsWith(".html") ? "/" : `/${relative(".", output.path)}`,
      body: output,
      type: output.type,
      etag: `"${output.hash ?? Bun.hash(await output.arrayBuffer()).toString(36)}"`,
    })),
  );
}

function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const trimmed = tag.trim();
    return trimmed === "*" || trimmed === etag || trimmed === `W/${etag}`;
  });
}

function serveFile(file: PageFile) {
  // The HTML is checked again on every load; the scripts and styles have content hashes in their names.
  const cacheControl = file.route === "/" ? "no-cache" : "public, max-age=31536000, immutable";
  return (request: Request): Response => {
    const headers = {
      ...BASE_HEADERS,
      "content-security-policy": pageCsp(request.headers.get("host")),
      "content-type": file.type,
      "cache-control": cacheControl,
      etag: file.etag,
    };
    if (matches(request.headers.get("if-none-match"), file.etag)) return new Response(null, { status: 304, headers });
    return new Response(file.body, { headers });
  };
}

type Handler = (request: Request) => Response;

async function routes(): Promise<Record<string, { GET: Handler; HEAD: Handler }>> {
  try {
    const files = await pageFiles();
    return Object.fromEntries(
      files.map((file) => {
        const handler = serveFile(file);
        return [file.route, { GET: handler, HEAD: handler }];
      }),
    );
  } catch (error) {
    // A page that does not bundle (an edit in progress) must not stop the API: / says so instead.
    log("error", "the web page could not be bundled", { error: String(error) });
    const failed = () =>
      new Response("The web page could not be bundled; see the server's log.", {
        status: 500,
        headers: { ...BASE_HEADERS, "content-type": "text/plain; charset=utf-8" },
      });
    return { "/": { GET: failed, HEAD: failed } };
  }
}

export const webRoutes = await routes();
