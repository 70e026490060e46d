// find-match, my-matches and stats routes.
import { Elysia } from "elysia";
import type { Config } from "../../config";
import type { Db } from "../../db/client";
import { errors } from "../../http/schemas";
import { type AuthSecrets, assertCaller, authPlugin } from "../auth/plugin";
import { FindMatchInput, FoundMatch, MyMatches, Stats, UserIdParams } from "./model";
import { findMatch, getStats, listMatches } from "./service";

export const matchRoutes = (db: Db, config: Config, secrets: AuthSecrets) =>
  new Elysia({ name: "matches", prefix: "/api/mystery" })
    .use(authPlugin(secrets))
    .post(
      "/find-match",
      ({ userId, body }) => {
        assertCaller(userId, body.user_id);
        return findMatch(db, config, userId, body);
      },
      {
        auth: true,
        body: FindMatchInput,
        response: { 200: FoundMatch, ...errors(400, 401, 403, 404, 413, 422, 429) },
        detail: {
          tags: ["matches"],
          summary: "Get matched with a random stranger",
          description:
            "Free users get a daily number of matches (UTC day); a request that finds nobody uses none. " +
            "preferred_gender and preferred_city apply to premium users only. " +
            "404 is user_not_found (no profile yet) or no_matches_found.",
        },
      },
    )
    .get(
      "/my-matches/:user_id",
      async ({ userId, params }) => {
        assertCaller(userId, params.user_id);
        const { isPremium, matches } = await listMatches(db, config.unlockThresholds, userId);
        return { success: true as const, is_premium: isPremium, matches };
      },
      {
        auth: true,
        params: UserIdParams,
        response: { 200: MyMatches, ...errors(401, 403, 422) },
        detail: { tags: ["matches"], summary: "Your active matches, most recent activity first" },
      },
    )
    .get(
      "/stats/:user_id",
      ({ userId, params }) => {
        assertCaller(userId, params.user_id);
        return getStats(db, config.dailyMatchLimit, userId);
      },
      {
        auth: true,
        params: UserIdParams,
        response: { 200: Stats, ...errors(401, 403, 404, 422) },
        detail: { tags: ["matches"], summary: "Your own match and message counts" },
      },
    );
