// Safety request and response schemas: block, unblock, the blocked list, report.
import { t } from "elysia";
import { REPORT_CONTENT_TYPES } from "../../db/schema";
import { CallerId, Id, JsonInteger, SafeString, Timestamp } from "../../kernel/schemas";

const target = {
  user_id: CallerId(),
  block_user_id: t.Optional(Id("The user to address by id; give this or match_id, not both")),
  match_id: t.Optional(Id("Address the partner of this match of yours; give this or block_user_id, not both")),
};

export const BlockInput = t.Object({
  ...target,
  reason: t.Optional(
    t.Nullable(SafeString({ maxLength: 500, description: "Kept for yourself; at most 500 characters" })),
  ),
});
export type BlockInput = typeof BlockInput.static;

export const UnblockInput = t.Object(target);
export type UnblockInput = typeof UnblockInput.static;

export const Done = t.Object({ success: t.Literal(true), message: t.String() });

export const BlockedItem = t.Object({
  block_user_id: t.Nullable(
    Id("The blocked user's id, only when you already knew it (blocked by id, or unlocked at level 4)"),
  ),
  match_id: t.Nullable(Id("The match the block was made from; null when blocked by id")),
  reason: t.Nullable(t.String()),
  created_at: Timestamp(),
});
export type BlockedItem = typeof BlockedItem.static;

export const BlockedList = t.Object({
  success: t.Literal(true),
  blocked: t.Array(BlockedItem, { description: "Newest first" }),
});

// Not t.UnionEnum: it gives the schema a default (its first value).
const ContentType = t.Union(
  [
    t.Literal(REPORT_CONTENT_TYPES[0]),
    t.Literal(REPORT_CONTENT_TYPES[1]),
    t.Literal(REPORT_CONTENT_TYPES[2]),
    t.Literal(REPORT_CONTENT_TYPES[3]),
  ],
  { description: "message, profile, photo or match" },
);

export const ReportInput = t.Object({
  reporter_id: CallerId(),
  reported_user_id: t.Optional(Id("The user to report by id; give this or match_id, not both")),
  match_id: t.Optional(Id("Report the partner of this match of yours; give this or reported_user_id, not both")),
  content_type: ContentType,
  content_id: t.Optional(
    t.Union([SafeString({ minLength: 1, maxLength: 64 }), JsonInteger({})], {
      description: 'What is reported; for content_type "message" the message id (required)',
    }),
  ),
  reason: SafeString({ minLength: 1, maxLength: 1000, description: "1..1000 characters, not only whitespace" }),
});
export type ReportInput = typeof ReportInput.static;

export const ReportCreated = t.Object({ success: t.Literal(true), report_id: Id("The stored report") });
