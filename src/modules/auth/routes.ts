// POST /api/auth/telegram: trade verified Telegram initData for a bearer token.
import { Elysia, t } from "elysia";
import { clientAddress } from "../../kernel/client-address";
import { AppError } from "../../kernel/errors";
import { errors, Id, SafeString, Timestamp } from "../../kernel/schemas";
import type { AppDeps } from "../deps";
import { limitsOf } from "../limits";
import { rememberSignIn } from "../telegram/sign-in";
import { signToken, tokenExpiry } from "./jwt";
import { initDataUser, verifyInitData } from "./telegram";

export const authRoutes = ({ db, config, realtime: { limiter } }: AppDeps) => {
  const limits = limitsOf(config.rateLimits);
  return new Elysia({ name: "auth-routes", prefix: "/api/auth" }).post(
    "/telegram",
    async ({ body, request, server }) => {
      // Per client address, only failures count: an address past its limit is refused before its
      // initData is checked, and a success costs nothing, so the many people behind one address (a
      // proxy without TRUST_PROXY, a carrier's NAT) are never refused for signing in.
      // No bot token here: nothing can be verified, and saying so is no guess an attacker learns from.
      if (!config.telegramBotToken) {
        throw new AppError(
          503,
          "telegram_not_configured",
          "Telegram sign-in is not set up on this server (no bot token)",
        );
      }
      const address = clientAddress(request, server, config.trustProxy);
      if (address !== null) await limiter.check(limits.auth, address);
      const now = new Date();
      const userId = verifyInitData(config.telegramBotToken, body.init_data, now);
      if (userId === null) {
        if (address !== null) await limiter.fail(limits.auth, address);
        throw new AppError(401, "unauthorized", "Telegram init data is invalid or expired");
      }
      const { languageCode, allowsWriteToPm } = initDataUser(body.init_data);
      await rememberSignIn(db, userId, languageCode, allowsWriteToPm);
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
        ...errors(400, 401, 413, 422, 429, 503),
      },
      detail: { tags: ["auth"], summary: "Exchange Telegram Mini App initData for a bearer token" },
    },
  );
};
