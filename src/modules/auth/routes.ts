// POST /api/auth/telegram: trade verified Telegram initData for a bearer token.
import { Elysia, t } from "elysia";
import { AppError } from "../../kernel/errors";
import { errors, Id, SafeString, Timestamp } from "../../kernel/schemas";
import type { AppDeps } from "../deps";
import { limitsOf } from "../limits";
import { signToken, tokenExpiry } from "./jwt";
import { verifyInitData } from "./telegram";

export const authRoutes = ({ config, realtime: { limiter } }: AppDeps) => {
  const limits = limitsOf(config.rateLimits);
  return new Elysia({ name: "auth-routes", prefix: "/api/auth" }).post(
    "/telegram",
    async ({ body, request, server }) => {
      // Per client address: this route is the one way to mint tokens without a credential.
      await limiter.take(limits.auth, server?.requestIP(request)?.address ?? "unknown");
      const now = new Date();
      const userId = config.telegramBotToken ? verifyInitData(config.telegramBotToken, body.init_data, now) : null;
      if (userId === null) throw new AppError(401, "unauthorized", "Telegram init data is invalid or expired");
      return {
        success: true as const,
        token: signToken(config.jwtSecret, userId, config.jwtTtlSeconds, now),
        user_id: userId,
        expires_at: tokenExpiry(now, config.jwtTtlSeconds).toISOString(),
      };
    },
    {
      body: t.Object({
        init_data: SafeString({ minLength: 1, maxLength: 8192, description: "Telegram WebApp.initData" }),
      }),
      response: {
        200: t.Object({
          success: t.Literal(true),
          token: t.String({ description: "HS256 JWT for Authorization: Bearer" }),
          user_id: Id("Your Telegram user id"),
          expires_at: Timestamp(),
        }),
        ...errors(400, 401, 413, 422, 429),
      },
      detail: { tags: ["auth"], summary: "Exchange Telegram Mini App initData for a bearer token" },
    },
  );
};
