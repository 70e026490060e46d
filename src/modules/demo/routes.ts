// POST /api/demo/token: the demo sign-in of the web page. Mints a token for any user id, so it answers
// only when config.demo is on (DEMO=1, or the embedded database on a loopback address); otherwise it is
// the 404 of an unknown path. Each client address gets 10 tokens a minute.
import { Elysia, t } from "elysia";
import { clientAddress } from "../../kernel/client-address";
import { AppError } from "../../kernel/errors";
import { errors, Id, Timestamp } from "../../kernel/schemas";
import { signToken, tokenExpiry } from "../auth/jwt";
import type { AppDeps } from "../deps";
import { limitsOf } from "../limits";

const DEMO_URL = /^[^:]+:\/\/[^/]+\/api\/demo(?:[/?#]|$)/;

export const demoRoutes = ({ config, realtime: { limiter } }: AppDeps) => {
  const plugin = new Elysia({ name: "demo-routes", prefix: "/api/demo" });
  // Registered either way, so the app's type (and every typed client) has it; off, its requests get the
  // 404 of an unknown path before routing and body parsing, and the OpenAPI document leaves it out.
  if (!config.demo) {
    plugin.onRequest(({ request }) => {
      if (DEMO_URL.test(request.url)) throw new AppError(404, "not_found", "No such route");
    });
  }
  const { demoToken } = limitsOf(config.rateLimits);
  return plugin.post(
    "/token",
    async ({ body, request, server }) => {
      const address = clientAddress(request, server, config.trustProxy);
      if (address !== null) await limiter.take(demoToken, address);
      const now = new Date();
      return {
        success: true as const,
        token: signToken(config.jwtSecret, body.user_id, config.jwtTtlSeconds, now),
        user_id: body.user_id,
        expires_at: tokenExpiry(now, config.jwtTtlSeconds).toISOString(),
      };
    },
    {
      body: t.Object({ user_id: Id("Whoever you want to be: any positive user id") }),
      response: {
        200: t.Object({
          success: t.Literal(true),
          token: t.String({ description: "HS256 JWT for Authorization: Bearer and the socket's ?token=" }),
          user_id: Id("The user id the token is for"),
          expires_at: Timestamp(),
        }),
        ...errors(400, 413, 422, 429),
      },
      detail: {
        hide: !config.demo,
        tags: ["demo"],
        summary: "Demo sign-in: a token for any user id (demo mode only)",
        description:
          "Present only with DEMO=1, or on the embedded database listening on a loopback address only, for " +
          "trying the service from the page at /. Anyone who can reach the server can be anyone: never " +
          "enable it on a real deployment. 10 tokens per minute per client address.",
      },
    },
  );
};
