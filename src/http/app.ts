// createApp(deps): the whole HTTP surface — body limits, errors, OpenAPI, service routes and modules.
import { swagger } from "@elysiajs/swagger";
import { sql } from "drizzle-orm";
import { Elysia, t } from "elysia";
import { AppError, ErrorBody } from "../kernel/errors";
import { errors } from "../kernel/schemas";
import { adminRoutes } from "../modules/admin/routes";
import { authenticate, unauthorized } from "../modules/auth/plugin";
import { authRoutes } from "../modules/auth/routes";
import { FRAME_HARD_LIMIT } from "../modules/chat/frames";
import { chatRoutes } from "../modules/chat/routes";
import { createChatSender } from "../modules/chat/send";
import { socketRoutes } from "../modules/chat/socket";
import { socketPath } from "../modules/chat/socket-doc";
import { demoRoutes } from "../modules/demo/routes";
import type { AppDeps } from "../modules/deps";
import { matchRoutes } from "../modules/matches/routes";
import { paymentMetrics, paymentRoutes } from "../modules/payments/routes";
import { PHOTO_UPLOAD, photoRoutes } from "../modules/photos/routes";
import { profileRoutes } from "../modules/profiles/routes";
import { safetyRoutes } from "../modules/safety/routes";
import { settingsRoutes } from "../modules/settings/routes";
import { telegramRoutes } from "../modules/telegram/routes";
import { MAX_BODY_BYTES, parseJsonBody, parseMultipartBody, tooLarge } from "./body";
import { DOCS_PATH, docsPage, SCALAR_PATH, SPEC_PATH } from "./docs";
import { errorHandler } from "./error-handler";
import { observability } from "./observability";
import { webRoutes } from "./page";
import { securityHeaders } from "./security-headers";

const documentation = {
  paths: socketPath,
  info: {
    title: "Mystery Match API",
    version: "0.1.0",
    description: "Anonymous-dating chat: random matches whose profiles unlock as the conversation grows.",
  },
  components: {
    securitySchemes: {
      bearer: { type: "http" as const, scheme: "bearer", bearerFormat: "JWT", description: "HS256 JWT, sub = user id" },
      telegram: {
        type: "apiKey" as const,
        in: "header" as const,
        name: "Authorization",
        description: "`tma <initData>`: Telegram Mini App init data signed with the bot token",
      },
      admin: { type: "http" as const, scheme: "bearer", description: "ADMIN_TOKEN, for the operator routes" },
    },
  },
};

/** Bun WebSocket settings: dead peers time out, and a reader too slow to keep up is closed. */
const websocket = {
  idleTimeout: 60,
  sendPings: true,
  maxPayloadLength: FRAME_HARD_LIMIT,
  backpressureLimit: 1024 * 1024,
  closeOnBackpressureLimit: true,
  perMessageDeflate: false,
};

/** Whether this is the photo upload, the one request whose body is a multipart form with its own limit. */
const isPhotoUpload = (request: Request) =>
  request.method === PHOTO_UPLOAD.method && new URL(request.url).pathname === PHOTO_UPLOAD.path;

const bodyLimitOf = (request: Request) => (isPhotoUpload(request) ? PHOTO_UPLOAD.bodyLimit : MAX_BODY_BYTES);

export function createApp(deps: AppDeps) {
  const { db, config, realtime, dbStats } = deps;
  const worker = deps.worker ?? null;
  // The one send path, shared by the REST route and the socket.
  const sender = createChatSender(deps);
  // Used first, so that every request, refused ones included, gets its id, log line and metrics.
  const operations = observability({
    logRequests: config.logRequests,
    gauges: {
      sockets: () => realtime.local.socketCount,
      channels: () => realtime.channels?.() ?? null,
      worker,
      db: () => dbStats?.() ?? null,
      modules: [...sender.metrics, ...realtime.local.metrics, ...paymentMetrics(deps), ...(deps.metrics ?? [])],
    },
  });
  // /swagger/json is the plugin's; its page at /swagger (which would load Scalar from a CDN) is replaced by
  // docsPage, served whole from this binary. scalarCDN only keeps the plugin's own page off the CDN too.
  const openApi = swagger({ path: DOCS_PATH, documentation, exclude: [DOCS_PATH, SPEC_PATH], scalarCDN: SCALAR_PATH });
  // The page at / and its scripts and styles are Bun.serve routes: the bundled page's files, each with the
  // page's security headers (see page.ts). Not development mode: no hot-reload client, no dev error pages.
  // standardHostname: false — Elysia finds the path at the first "/" after "http://", not at a fixed
  // offset of 11 that a Host header shorter than 4 characters shifted (Host: x routed /zz/health as
  // /health, past a proxy's prefix rules). The server speaks plain HTTP (TLS ends at the proxy).
  return new Elysia({
    websocket,
    serve: { routes: webRoutes, development: false },
    handler: { standardHostname: false },
  })
    .use(operations)
    .use(securityHeaders)
    .use(errorHandler)
    .onRequest(({ request }) => {
      const length = Number(request.headers.get("content-length") ?? 0);
      if (length > MAX_BODY_BYTES && length > bodyLimitOf(request)) throw tooLarge(bodyLimitOf(request));
    })
    .onParse({ as: "global" }, ({ request }) => {
      if (!isPhotoUpload(request)) return parseJsonBody(request);
      // Up to 10 MiB are read only for a caller the credential names (the auth macro runs after parsing).
      if (authenticate(config, request.headers.get("authorization") ?? undefined) === null) throw unauthorized();
      return parseMultipartBody(request, PHOTO_UPLOAD.bodyLimit);
    })
    .model({ Error: ErrorBody })
    .use(openApi)
    .use(docsPage)
    .get("/health", () => ({ success: true as const, status: "ok" as const, pid: process.pid, worker }), {
      response: {
        200: t.Object({
          success: t.Literal(true),
          status: t.Literal("ok"),
          pid: t.Integer({ description: "The answering process" }),
          worker: t.Nullable(
            t.Integer({ description: "Its index among the workers of serve --workers; null without" }),
          ),
        }),
      },
      detail: { tags: ["service"], summary: "The process is up" },
    })
    .get(
      "/ready",
      async () => {
        try {
          await db.execute(sql`SELECT 1`);
        } catch {
          throw new AppError(503, "not_ready", "The database is unreachable");
        }
        return { success: true as const, status: "ready" as const };
      },
      {
        response: { 200: t.Object({ success: t.Literal(true), status: t.Literal("ready") }), ...errors(503) },
        detail: { tags: ["service"], summary: "The database is reachable" },
      },
    )
    .use(authRoutes(deps))
    .use(profileRoutes(deps))
    .use(photoRoutes(deps))
    .use(matchRoutes(deps))
    .use(chatRoutes(deps, sender))
    .use(socketRoutes(deps, sender))
    .use(safetyRoutes(deps))
    .use(demoRoutes(deps))
    .use(adminRoutes(deps))
    .use(settingsRoutes(deps))
    .use(telegramRoutes(deps))
    .use(paymentRoutes(deps));
}

export type App = ReturnType<typeof createApp>;
