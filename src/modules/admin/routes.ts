// Operator routes under /api/admin, behind the ADMIN_TOKEN bearer check of the `{ admin: true }` macro.
import { createHash, timingSafeEqual } from "node:crypto";
import { Elysia } from "elysia";
import { clientAddress } from "../../kernel/client-address";
import { AppError, invalidField } from "../../kernel/errors";
import { errors, inRange } from "../../kernel/schemas";
import type { AppDeps } from "../deps";
import { limitsOf } from "../limits";
import { announceBan } from "../safety/ban";
import {
  BanInput,
  BanReply,
  CoinsInput,
  CoinsReply,
  PremiumInput,
  PremiumReply,
  ReportList,
  ReportParams,
  ReportsQuery,
  ResolveInput,
  ResolveReply,
  UserParams,
} from "./model";
import { grantCoins, listReports, resolveReport, setBan, setPremium } from "./service";

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * Whether an Authorization header carries the admin token. Both sides are hashed first, so the
 * comparison takes the same time whatever the header holds and timingSafeEqual gets equal lengths.
 */
function isAdmin(adminToken: string, authorization: string | null): boolean {
  const presented = /^Bearer +(\S+)\s*$/i.exec(authorization ?? "")?.[1] ?? "";
  return timingSafeEqual(digest(presented), digest(adminToken));
}

const ADMIN_URL = /^[^:]+:\/\/[^/]+\/api\/admin(?:[/?#]|$)/;

/**
 * `{ admin: true }` on a route: the request must carry the admin token, checked in `transform`,
 * before the body is validated. Failed attempts count per client address (limits.adminToken); an
 * address past the limit gets 429 before its token is looked at, and a success counts nothing.
 * Without ADMIN_TOKEN configured the operator routes do not exist: their requests get the 404 of an
 * unknown path, before routing and body parsing, so not even a malformed body tells them apart.
 */
export function adminPlugin({ config, realtime: { limiter } }: AppDeps) {
  const { adminToken, trustProxy } = config;
  const limit = limitsOf(config.rateLimits).adminToken;
  const plugin = new Elysia({ name: "admin-auth", seed: adminToken }).macro({
    admin: {
      detail: { security: [{ admin: [] }] },
      async transform({ request, server }) {
        const address = clientAddress(request, server, trustProxy);
        if (address !== null) await limiter.check(limit, address);
        if (adminToken === null || !isAdmin(adminToken, request.headers.get("authorization"))) {
          if (address !== null) await limiter.fail(limit, address);
          throw new AppError(401, "unauthorized", "Missing or invalid admin token");
        }
      },
    },
  });
  if (adminToken === null) {
    plugin.onRequest(({ request }) => {
      if (ADMIN_URL.test(request.url)) throw new AppError(404, "not_found", "No such route");
    });
  }
  return plugin;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The instants a stored time may take. Past 9999 (in UTC) PostgreSQL refuses the ISO string
 * ("+010000-…"), and years below 100 come back from the database as 19xx/20xx.
 */
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(10000, 0, 1) - 1;

/**
 * An RFC 3339 date-time with its offset, from 1970 to 9999 in UTC, or a 422. The schema's
 * date-time format also takes bare dates and local times, and Date would roll 2030-02-30 over into
 * March.
 */
function parseDateTime(field: string, value: string): Date {
  const parts = RFC3339.exec(value)?.slice(1, 7).map(Number);
  const date = new Date(value);
  if (parts && !Number.isNaN(date.getTime())) {
    const [year, month, day, hour, minute, second] = parts as [number, number, number, number, number, number];
    const calendar = new Date(Date.UTC(year, month - 1, day));
    const real = calendar.getUTCMonth() === month - 1 && calendar.getUTCDate() === day;
    const inRange = date.getTime() >= EARLIEST && date.getTime() <= LATEST;
    if (real && inRange && hour <= 23 && minute <= 59 && second <= 59) return date;
  }
  throw invalidField(
    field,
    "must be an ISO-8601 date-time with an offset from 1970 to 9999, like 2030-01-31T20:00:00Z",
  );
}

const tags = ["admin"];

export const adminRoutes = (deps: AppDeps) => {
  const {
    db,
    realtime: { bus },
  } = deps;
  return new Elysia({ name: "admin", prefix: "/api/admin" })
    .use(adminPlugin(deps))
    .put(
      "/users/:user_id/premium",
      async ({ params, body }) => {
        const userId = inRange("user_id", params.user_id);
        const until = body.until === null ? null : parseDateTime("until", body.until);
        const premiumUntil = await setPremium(db, userId, until);
        return { success: true as const, user_id: userId, premium_until: premiumUntil?.toISOString() ?? null };
      },
      {
        admin: true,
        params: UserParams,
        body: PremiumInput,
        response: { 200: PremiumReply, ...errors(400, 401, 404, 413, 422, 429) },
        detail: { tags, summary: "Grant premium until a time, or revoke it with null" },
      },
    )
    .post(
      "/users/:user_id/coins",
      async ({ params, body }) => {
        const userId = inRange("user_id", params.user_id);
        if (body.amount === 0) throw invalidField("amount", "must not be 0");
        return { success: true as const, user_id: userId, coins: await grantCoins(db, userId, body.amount) };
      },
      {
        admin: true,
        params: UserParams,
        body: CoinsInput,
        response: { 200: CoinsReply, ...errors(400, 401, 404, 409, 413, 422, 429) },
        detail: {
          tags,
          summary: "Credit or debit a user's coins",
          description: "Atomic. A debit below zero, or from a user without a row, is 409 insufficient_coins.",
        },
      },
    )
    .post(
      "/users/:user_id/ban",
      async ({ params, body }) => {
        const userId = inRange("user_id", params.user_id);
        const banUntil = await setBan(db, userId, body);
        announceBan(bus, userId);
        return { success: true as const, user_id: userId, ban_until: banUntil?.toISOString() ?? null };
      },
      {
        admin: true,
        params: UserParams,
        body: BanInput,
        response: { 200: BanReply, ...errors(400, 401, 404, 413, 422, 429) },
        detail: { tags, summary: "Ban a user for some hours from now (replaces any current ban)" },
      },
    )
    .delete(
      "/users/:user_id/ban",
      async ({ params }) => {
        const userId = inRange("user_id", params.user_id);
        await setBan(db, userId, null);
        return { success: true as const, user_id: userId, ban_until: null };
      },
      {
        admin: true,
        params: UserParams,
        response: { 200: BanReply, ...errors(401, 404, 422, 429) },
        detail: { tags, summary: "Lift a user's ban" },
      },
    )
    .get(
      "/reports",
      async ({ query }) => {
        const { reports, hasMore } = await listReports(db, {
          status: query.status,
          limit: inRange("limit", query.limit ?? 50, 1, 200),
          beforeId: query.before_id === undefined ? undefined : inRange("before_id", query.before_id),
        });
        return { success: true as const, reports, has_more: hasMore };
      },
      {
        admin: true,
        query: ReportsQuery,
        response: { 200: ReportList, ...errors(401, 404, 422, 429) },
        detail: { tags, summary: "Reports, newest first, optionally of one status" },
      },
    )
    .post(
      "/reports/:report_id/resolve",
      async ({ params, body }) => {
        const reportId = inRange("report_id", params.report_id);
        await resolveReport(db, reportId, body.status);
        return { success: true as const, report_id: reportId, status: body.status };
      },
      {
        admin: true,
        params: ReportParams,
        body: ResolveInput,
        response: { 200: ResolveReply, ...errors(400, 401, 404, 413, 422, 429) },
        detail: { tags, summary: "Mark a report actioned or dismissed" },
      },
    );
};
