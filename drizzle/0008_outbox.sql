CREATE TABLE "notification_sender" (
	"id" smallint PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"lease_until" timestamp with time zone NOT NULL,
	"paused_until" timestamp with time zone,
	CONSTRAINT "notification_sender_one_row" CHECK ("notification_sender"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "notifications_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" bigint NOT NULL,
	"kind" text NOT NULL,
	"match_id" bigint NOT NULL,
	"level" smallint DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"not_before" timestamp with time zone NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"finished_at" timestamp with time zone,
	"reason" text,
	CONSTRAINT "notifications_kind_valid" CHECK (kind IN ('new_match', 'messages', 'unlocks', 'expiring', 'secret_chat')),
	CONSTRAINT "notifications_status_valid" CHECK (status IN ('pending', 'sending', 'sent', 'skipped', 'dropped', 'failed'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_pending_uq" ON "notifications" USING btree ("user_id","match_id","kind","level") WHERE status = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_once_uq" ON "notifications" USING btree ("user_id","match_id","kind","level") WHERE kind IN ('new_match', 'unlocks', 'expiring');--> statement-breakpoint
CREATE INDEX "notifications_due_idx" ON "notifications" USING btree ("not_before","id") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "notifications_sending_idx" ON "notifications" USING btree ("not_before") WHERE status = 'sending';--> statement-breakpoint
CREATE INDEX "notifications_finished_idx" ON "notifications" USING btree ("user_id","match_id","kind","finished_at") WHERE finished_at IS NOT NULL;