// The web page as Bun.serve routes. Importing index.html gives an HTMLBundle: Bun bundles the page with
// its TypeScript and CSS when first asked for it, and `bun build --compile` bundles and embeds it in the
// binary, so nothing is fetched or built at run time.
import page from "../web/index.html";

export const webRoutes = { "/": page };
