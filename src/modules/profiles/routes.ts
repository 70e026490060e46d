// PUT/GET /api/mystery/profile: the caller's own profile.
import { Elysia } from "elysia";
import { errors } from "../../kernel/schemas";
import { authPlugin } from "../auth/plugin";
import type { AppDeps } from "../deps";
import { ProfileInput, ProfileReply } from "./model";
import { getProfile, saveProfile } from "./service";

export const profileRoutes = ({ db, config, activity }: AppDeps) =>
  new Elysia({ name: "profiles", prefix: "/api/mystery" })
    .use(authPlugin(config, activity))
    .put(
      "/profile",
      async ({ userId, body }) => ({
        success: true as const,
        profile: await saveProfile(db, config.jwtSecret, userId, body),
      }),
      {
        auth: true,
        body: ProfileInput,
        response: { 200: ProfileReply, ...errors(400, 401, 413, 422) },
        detail: {
          tags: ["profile"],
          summary: "Create or replace your profile",
          description:
            "422 contact_details_in_profile when bio, city or interests hold a phone number, Telegram handle " +
            "or link, e-mail or other link; details name the fields.",
        },
      },
    )
    .get(
      "/profile",
      async ({ userId }) => ({ success: true as const, profile: await getProfile(db, config.jwtSecret, userId) }),
      {
        auth: true,
        response: { 200: ProfileReply, ...errors(401, 404) },
        detail: { tags: ["profile"], summary: "Your own full profile and account state" },
      },
    );
