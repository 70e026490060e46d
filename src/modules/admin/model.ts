// Operator request and response schemas: premium, coins, bans and the report queue.
import { t } from "elysia";
import { REPORT_STATUSES } from "../../db/schema";
import { Id, IntegerParam, JsonInteger, NullableTimestamp, SafeString, Timestamp } from "../../kernel/schemas";

export const MAX_COIN_AMOUNT = 1_000_000;

export const UserParams = t.Object({ user_id: IntegerParam("The user's Telegram id") });
export const ReportParams = t.Object({ report_id: IntegerParam("Report id") });

export const PremiumInput = t.Object({
  until: t.Union([Timestamp("Premium until this time (ISO-8601)"), t.Null()], { description: "null revokes premium" }),
});

export const PremiumReply = t.Object({
  success: t.Literal(true),
  user_id: Id("User id"),
  premium_until: NullableTimestamp(),
});

export const CoinsInput = t.Object({
  amount: JsonInteger({
    minimum: -MAX_COIN_AMOUNT,
    maximum: MAX_COIN_AMOUNT,
    description: "Non-zero: positive credits, negative debits",
  }),
});

export const CoinsReply = t.Object({
  success: t.Literal(true),
  user_id: Id("User id"),
  coins: t.Integer({ minimum: 0, description: "The balance after the change" }),
});

export const BanInput = t.Object({
  hours: JsonInteger({ minimum: 1, maximum: 87_600, description: "Ban from now for this many hours" }),
  reason: SafeString({ minLength: 1, maxLength: 500 }),
});

export const BanReply = t.Object({ success: t.Literal(true), user_id: Id("User id"), ban_until: NullableTimestamp() });

// Not t.UnionEnum: it gives the schema a default (its first value), which would fill the optional filter.
export const ReportStatus = t.Union(
  [t.Literal(REPORT_STATUSES[0]), t.Literal(REPORT_STATUSES[1]), t.Literal(REPORT_STATUSES[2])],
  { description: "pending, actioned or dismissed" },
);
export type ReportStatus = typeof ReportStatus.static;

export const ReportsQuery = t.Object({
  status: t.Optional(ReportStatus),
  limit: t.Optional(IntegerParam("Page size, 1..200 (default 50)")),
  before_id: t.Optional(IntegerParam("Return reports with a smaller id (the last id of the page you have)")),
});

export const ReportItem = t.Object({
  report_id: Id("Report id"),
  reporter_id: Id("Who reported"),
  reported_user_id: Id("Who was reported"),
  match_id: t.Nullable(Id("The match the two share")),
  content_type: t.String(),
  content_id: t.Nullable(t.String()),
  evidence: t.Nullable(t.String({ description: "The reported message's text, copied when reported" })),
  reason: t.String(),
  status: ReportStatus,
  created_at: Timestamp(),
});
export type ReportItem = typeof ReportItem.static;

export const ReportList = t.Object({
  success: t.Literal(true),
  reports: t.Array(ReportItem, { description: "Newest first" }),
  has_more: t.Boolean({ description: "Older reports exist: ask again with before_id" }),
});

const Verdict = t.Union([t.Literal("actioned"), t.Literal("dismissed")], { description: "actioned or dismissed" });

export const ResolveInput = t.Object({ status: Verdict });
export type Verdict = typeof Verdict.static;

export const ResolveReply = t.Object({
  success: t.Literal(true),
  report_id: Id("Report id"),
  status: Verdict,
});
