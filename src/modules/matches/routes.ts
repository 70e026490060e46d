// find-match, my-matches and stats routes.
import { Elysia } from "elysia";
import { errors, inRange } from "../../kernel/schemas";
import { publishMatchEnded, publishToParticipants } from "../../realtime/bus";
import { poolTopic, userTopic } from "../../realtime/topics";
import { assertCaller, authPlugin } from "../auth/plugin";
import type { AppDeps } from "../deps";
import { limitsOf } from "../limits";
import { extendMatch, unmatch } from "./lifecycle";
import {
  Extended,
  ExtendInput,
  FindMatchInput,
  FoundMatch,
  MyMatches,
  Stats,
  Unmatched,
  UnmatchInput,
  UserIdParams,
} from "./model";
import { findOrWait } from "./pool";
import { getStats, listMatches } from "./service";

export const matchRoutes = ({ db, config, activity, stopping, realtime: { bus, limiter, local } }: AppDeps) => {
  const limits = limitsOf(config.rateLimits);
  return new Elysia({ name: "matches", prefix: "/api/mystery" })
    .use(authPlugin(config, activity))
    .post(
      "/find-match",
      async ({ userId, body, request, server }) => {
        assertCaller(userId, body.user_id);
        await limiter.take(limits.findMatch, userId);
        // A waiting request sends nothing for up to wait_seconds: the connection's idle timeout must not end it.
        if (body.wait_seconds) server?.timeout(request, body.wait_seconds + 10);
        // The wait ends early when the client goes away or the process shuts down.
        const ended = stopping ? AbortSignal.any([request.signal, stopping]) : request.signal;
        const { reply, partnerId, fromPool } = await findOrWait(db, { bus, local }, config, userId, body, ended);
        const event = { type: "new_match" as const, match_id: reply.match_id };
        for (const user of [userId, partnerId]) bus.publish(userTopic(user), event);
        // A partner from the pool has a request waiting for this, on whichever process holds it.
        if (fromPool) bus.publish(poolTopic(partnerId), event);
        return reply;
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
            "preferred_gender and preferred_city apply to premium users only. Both sides' stored preferences " +
            "(looking_for, age_min, age_max) are honoured. With wait_seconds and nobody at once, the request " +
            "waits in the pool of people searching right now and is paired with the next searcher who fits " +
            "(both use a daily match); unpaired at the end, 404 no_matches_found and no quota used. " +
            "404 is user_not_found (no profile yet) or no_matches_found.",
        },
      },
    )
    .get(
      "/my-matches/:user_id",
      async ({ userId, params }) => {
        assertCaller(userId, inRange("user_id", params.user_id));
        const { isPremium, matches } = await listMatches(db, config, userId);
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
        assertCaller(userId, inRange("user_id", params.user_id));
        return getStats(db, config.dailyMatchLimit, userId);
      },
      {
        auth: true,
        params: UserIdParams,
        response: { 200: Stats, ...errors(401, 403, 404, 422) },
        detail: { tags: ["matches"], summary: "Your own match and message counts" },
      },
    )
    .post(
      "/unmatch",
      async ({ userId, body }) => {
        assertCaller(userId, body.user_id);
        const ended = await unmatch(db, userId, body.match_id, body.reason ?? null);
        publishMatchEnded(bus, ended.matchId, [userId, ended.partnerId], "unmatched");
        return { success: true as const, message: "Match ended" };
      },
      {
        auth: true,
        body: UnmatchInput,
        response: { 200: Unmatched, ...errors(400, 401, 403, 404, 410, 413, 422) },
        detail: {
          tags: ["matches"],
          summary: "End one of your matches",
          description: "The history stays readable by both; later sends are 410 match_ended.",
        },
      },
    )
    .post(
      "/extend-match",
      async ({ userId, body }) => {
        assertCaller(userId, body.user_id);
        const extended = await extendMatch(db, config.extendCostCoins, userId, body.match_id);
        publishToParticipants(bus, extended.matchId, [userId, extended.partnerId], {
          type: "match_extended",
          expires_at: extended.expiresAt.toISOString(),
        });
        return {
          success: true as const,
          message: "Match extended by 24 hours",
          new_expiry: extended.expiresAt.toISOString(),
          cost: extended.cost,
        };
      },
      {
        auth: true,
        body: ExtendInput,
        response: { 200: Extended, ...errors(400, 401, 402, 403, 404, 410, 413, 422) },
        detail: {
          tags: ["matches"],
          summary: "Add 24 hours to an active match",
          description: "Free for premium users; others pay coins (402 insufficient_coins when short).",
        },
      },
    );
};
