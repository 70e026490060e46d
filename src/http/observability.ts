// Operations plugin: a request id on every request (x-request-id), one JSON log line per request, /metrics.
import { Elysia, StatusMap } from "elysia";
import { log } from "../log";
import { type Gauges, HttpMetrics } from "./metrics";

/** An incoming x-request-id is kept when it is this sane; otherwise a new one is made. */
const INCOMING_ID = /^[A-Za-z0-9._:-]{1,128}$/;

interface Started {
  id: string;
  at: number;
}

const started = new WeakMap<Request, Started>();

/** The id given to this request (also sent back as x-request-id), for log lines about it. */
export const requestId = (request: Request): string | undefined => started.get(request)?.id;

/** The status sent: a returned Response's, else `set.status`, which Elysia leaves at 200 for unknown routes. */
function statusOf(response: unknown, status: number | string | undefined, error: unknown): number {
  if (response instanceof Response) return response.status;
  const code = typeof status === "number" ? status : (status && StatusMap[status as keyof typeof StatusMap]) || 200;
  if (code < 400 && error) return Number((error as { status?: unknown }).status) || 500;
  return code;
}

export interface ObservabilityOptions {
  logRequests: boolean;
  gauges: Gauges;
}

export function observability(options: ObservabilityOptions) {
  const metrics = new HttpMetrics();
  return new Elysia()
    .onRequest(({ request, set }) => {
      const incoming = request.headers.get("x-request-id");
      const id = incoming && INCOMING_ID.test(incoming) ? incoming : crypto.randomUUID();
      started.set(request, { id, at: performance.now() });
      set.headers["x-request-id"] = id;
      metrics.inFlight++;
    })
    .onAfterResponse({ as: "global" }, (context) => {
      const { request, route, path, set, responseValue } = context;
      const start = started.get(request);
      if (!start) return;
      started.delete(request);
      metrics.inFlight--;
      const seconds = (performance.now() - start.at) / 1000;
      const status = statusOf(responseValue, set.status, (context as { error?: unknown }).error);
      // The route's pattern (never the raw path) keeps the label set small; unknown paths share one.
      const pattern = route || "unmatched";
      metrics.observe(request.method, pattern, status, seconds);
      if (options.logRequests) {
        // `path` has no query string: a socket's ?token= never reaches the log.
        log("info", "request", {
          id: start.id,
          method: request.method,
          path,
          route: pattern,
          status,
          ms: Math.round(seconds * 100_000) / 100,
        });
      }
    })
    .get(
      "/metrics",
      async () =>
        new Response(await metrics.render(options.gauges), {
          headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
        }),
      { detail: { tags: ["service"], summary: "Prometheus metrics of this process" } },
    );
}
