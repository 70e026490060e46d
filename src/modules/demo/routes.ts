// POST /api/demo/token: the demo sign-in of the web page. Mints a token for any user id, so it exists
// only when config.demo is on (embedded mode or DEMO=1); otherwise the route is absent (404).
import { Elysia, t } from "elysia";
import { errors, Id, Timestamp } from "../../kernel/schemas";
import { signToken, tokenExpiry } from "../auth/jwt";
import type { AppDeps } from "../deps";

export const demoRoutes = ({ config }: AppDeps) => {
  const plugin = new Elysia({ name: "demo-routes", prefix: "/api/demo" });
  if (!config.demo) return plugin;
  return plugin.post(
    "/token",
    ({ body }) => {
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
        ...errors(400, 413, 422),
      },
      detail: {
        tags: ["demo"],
        summary: "Demo sign-in: a token for any user id (demo mode only)",
        description:
          "Present only in embedded mode or with DEMO=1, for trying the service from the page at /. " +
          "Anyone who can reach the server can be anyone: never enable it on a real deployment.",
      },
    },
  );
};
