// The HTTP ceiling for bench/http.ts: a bare Bun.serve that answers each benchmarked route with the
// same JSON the real server gave for it (captured by bench/http.ts), and does nothing else.
//
//   BARE_BODIES=bodies.json PORT=0 bun bench/bare-http-server.ts
//
// bodies.json maps a route kind (stats, my-matches, chat, send, find) to the body text.
import { readFileSync } from "node:fs";

const bodies = JSON.parse(readFileSync(process.env.BARE_BODIES ?? "", "utf8")) as Record<string, string>;
const headers = { "content-type": "application/json" };

function kindOf(path: string): string {
  if (path.startsWith("/api/mystery/stats/")) return "stats";
  if (path.startsWith("/api/mystery/my-matches/")) return "my-matches";
  if (path.startsWith("/api/mystery/chat/")) return "chat";
  if (path === "/api/mystery/send-message") return "send";
  return "find";
}

const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: process.env.HOST ?? "127.0.0.1",
  async fetch(request) {
    if (request.method === "POST") await request.text();
    const body = bodies[kindOf(new URL(request.url).pathname)];
    return body === undefined ? new Response("not found", { status: 404 }) : new Response(body, { headers });
  },
});
console.log(JSON.stringify({ msg: "listening", url: `http://${server.hostname}:${server.port}` }));
