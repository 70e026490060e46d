// The auth macro: `{ auth: true }` on a route resolves `userId` from a Bearer JWT or Telegram initData.
import { Elysia } from "elysia";
import { AppError } from "../../kernel/errors";
import type { ActivityRecorder } from "../activity/recorder";
import { verifyToken } from "./jwt";
import { verifyInitData } from "./telegram";

export interface AuthSecrets {
  readonly jwtSecret: string;
  readonly telegramBotToken: string | null;
}

export const unauthorized = () => new AppError(401, "unauthorized", "Missing or invalid credentials");

/** The caller's id from an Authorization header, or null when it proves nothing. */
export function authenticate(secrets: AuthSecrets, authorization: string | undefined, now = new Date()): number | null {
  const match = /^(\S+) +(\S.*)$/.exec(authorization?.trim() ?? "");
  if (!match) return null;
  const [, scheme, credential] = match as unknown as [string, string, string];
  switch (scheme.toLowerCase()) {
    case "bearer":
      return verifyToken(secrets.jwtSecret, credential, now);
    case "tma":
      return secrets.telegramBotToken ? verifyInitData(secrets.telegramBotToken, credential, now) : null;
    default:
      return null;
  }
}

/**
 * Routes carry the caller's own id in some fields for compatibility with old clients; when one is
 * present it must be the authenticated user.
 */
export function assertCaller(userId: number, claimed: number | undefined | null): void {
  if (claimed !== undefined && claimed !== null && claimed !== userId) {
    throw new AppError(403, "forbidden", "The user id does not match your credentials");
  }
}

/**
 * `{ auth: true }` on a route. The credential is checked in `transform`, before the body is
 * validated, so a caller without one learns nothing about the route's rules; `resolve` then hands
 * the verified id to the handler. Every authenticated request counts as the user's activity.
 */
export const authPlugin = (config: AuthSecrets, activity: ActivityRecorder) => {
  const secrets: AuthSecrets = { jwtSecret: config.jwtSecret, telegramBotToken: config.telegramBotToken };
  const callers = new WeakMap<Request, number>();
  return new Elysia({ name: "auth", seed: secrets }).macro({
    auth: {
      detail: { security: [{ bearer: [] }, { telegram: [] }] },
      transform({ request }) {
        const userId = authenticate(secrets, request.headers.get("authorization") ?? undefined);
        if (userId === null) throw unauthorized();
        callers.set(request, userId);
        activity.seen(userId);
      },
      resolve({ request }) {
        const userId = callers.get(request);
        if (userId === undefined) throw unauthorized();
        return { userId };
      },
    },
  });
};
