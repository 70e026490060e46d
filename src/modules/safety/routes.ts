// block, unblock, blocked-list and report routes.
import { Elysia } from "elysia";
import { errors } from "../../kernel/schemas";
import { publishMatchEnded } from "../../realtime/bus";
import { assertCaller, authPlugin } from "../auth/plugin";
import type { AppDeps } from "../deps";
import { limitsOf } from "../limits";
import { announceBan } from "./ban";
import { BlockedList, BlockInput, Done, ReportCreated, ReportInput, UnblockInput } from "./model";
import { blockUser, createReport, listBlocks, unblockUser } from "./service";

export const safetyRoutes = ({ db, config, activity, realtime: { bus, limiter } }: AppDeps) => {
  const limits = limitsOf(config.rateLimits);
  const rules = { thresholds: config.unlockThresholds, autoBanMinAccountAgeHours: config.autoBanMinAccountAgeHours };
  return new Elysia({ name: "safety", prefix: "/api/mystery" })
    .use(authPlugin(config, activity))
    .post(
      "/block",
      async ({ userId, body }) => {
        assertCaller(userId, body.user_id);
        await limiter.take(limits.block, userId);
        // The ended matches are not part of the reply: it must not tell more than "done".
        const { blockedId, endedMatchIds } = await blockUser(
          db,
          config.unlockThresholds,
          userId,
          { userId: body.block_user_id, matchId: body.match_id },
          body.reason ?? null,
        );
        for (const matchId of endedMatchIds) {
          publishMatchEnded(bus, matchId, [userId, blockedId], "blocked");
        }
        return { success: true as const, message: "User blocked" };
      },
      {
        auth: true,
        body: BlockInput,
        response: { 200: Done, ...errors(400, 401, 403, 404, 413, 422) },
        detail: {
          tags: ["safety"],
          summary: "Block a user, by id or as the partner of one of your matches",
          description:
            "Give exactly one of block_user_id and match_id. Ends every active match between you two; " +
            "neither of you is matched with the other again. Repeating a block changes nothing. " +
            "404 is match_not_found (not your match) or user_not_found.",
        },
      },
    )
    .post(
      "/unblock",
      async ({ userId, body }) => {
        assertCaller(userId, body.user_id);
        await limiter.take(limits.block, userId);
        await unblockUser(db, userId, { userId: body.block_user_id, matchId: body.match_id });
        return { success: true as const, message: "User unblocked" };
      },
      {
        auth: true,
        body: UnblockInput,
        response: { 200: Done, ...errors(400, 401, 403, 404, 413, 422) },
        detail: {
          tags: ["safety"],
          summary: "Lift your block on a user",
          description:
            "Same addressing as /block. Idempotent; matches the block ended stay ended, and a pair is still " +
            "matched at most once.",
        },
      },
    )
    .get(
      "/blocked",
      async ({ userId }) => ({
        success: true as const,
        blocked: await listBlocks(db, config.unlockThresholds, userId),
      }),
      {
        auth: true,
        response: { 200: BlockedList, ...errors(401) },
        detail: {
          tags: ["safety"],
          summary: "The users you blocked, newest first",
          description:
            "block_user_id is shown only where you already knew it: you blocked by id, or the match you " +
            "blocked from had unlocked the partner's id for you. Otherwise match_id names the match.",
        },
      },
    )
    .post(
      "/report",
      async ({ userId, body }) => {
        assertCaller(userId, body.reporter_id);
        await limiter.take(limits.report, userId);
        const { reportId, banned } = await createReport(db, rules, userId, body);
        if (banned !== null) announceBan(bus, banned);
        return { success: true as const, report_id: reportId };
      },
      {
        auth: true,
        body: ReportInput,
        response: { 200: ReportCreated, ...errors(400, 401, 403, 404, 413, 422) },
        detail: {
          tags: ["safety"],
          summary: "Report a user you share or shared a match with",
          description:
            "Give exactly one of reported_user_id and match_id. A reported message's text is copied into the " +
            "report. Three distinct reporters within 7 days ban the reported user for 48 hours. " +
            "404 is match_not_found (no match between you two) or message_not_found.",
        },
      },
    );
};
