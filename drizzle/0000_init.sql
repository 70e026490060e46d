CREATE TABLE "messages" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "messages_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"match_id" bigint NOT NULL,
	"sender_id" bigint NOT NULL,
	"text" text NOT NULL,
	"seq" integer NOT NULL,
	"client_msg_id" text,
	"is_secret" boolean DEFAULT false NOT NULL,
	"self_destruct_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "messages_text_length" CHECK (char_length("messages"."text") BETWEEN 1 AND 2000),
	CONSTRAINT "messages_client_msg_id_length" CHECK (char_length("messages"."client_msg_id") BETWEEN 1 AND 64),
	CONSTRAINT "messages_secret_has_deadline" CHECK (("messages"."is_secret") = ("messages"."self_destruct_at" IS NOT NULL))
);
--> statement-breakpoint
CREATE TABLE "read_markers" (
	"match_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"last_read_id" bigint NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "read_markers_match_id_user_id_pk" PRIMARY KEY("match_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "secret_chat_requests" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "secret_chat_requests_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"match_id" bigint NOT NULL,
	"requester_id" bigint NOT NULL,
	"duration_minutes" smallint NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"responded_at" timestamp with time zone,
	CONSTRAINT "secret_chat_requests_duration_range" CHECK ("secret_chat_requests"."duration_minutes" BETWEEN 5 AND 60),
	CONSTRAINT "secret_chat_requests_status_valid" CHECK ("secret_chat_requests"."status" IN ('pending', 'accepted', 'declined', 'expired'))
);
--> statement-breakpoint
CREATE TABLE "daily_match_counts" (
	"user_id" bigint NOT NULL,
	"day" date NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "daily_match_counts_user_id_day_pk" PRIMARY KEY("user_id","day"),
	CONSTRAINT "daily_match_counts_non_negative" CHECK ("daily_match_counts"."count" >= 0)
);
--> statement-breakpoint
CREATE TABLE "matches" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "matches_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_a" bigint NOT NULL,
	"user_b" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"message_count" integer DEFAULT 0 NOT NULL,
	"last_message_at" timestamp with time zone,
	"secret_chat_expires_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"ended_by" bigint,
	"end_reason" text,
	"end_note" text,
	CONSTRAINT "matches_distinct_users" CHECK ("matches"."user_a" <> "matches"."user_b"),
	CONSTRAINT "matches_message_count_non_negative" CHECK ("matches"."message_count" >= 0),
	CONSTRAINT "matches_end_reason_valid" CHECK ("matches"."end_reason" IN ('unmatched', 'blocked', 'expired')),
	CONSTRAINT "matches_end_note_length" CHECK (char_length("matches"."end_note") <= 500)
);
--> statement-breakpoint
CREATE TABLE "blocks" (
	"blocker_id" bigint NOT NULL,
	"blocked_id" bigint NOT NULL,
	"via_match_id" bigint,
	"reason" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "blocks_blocker_id_blocked_id_pk" PRIMARY KEY("blocker_id","blocked_id"),
	CONSTRAINT "blocks_distinct_users" CHECK ("blocks"."blocker_id" <> "blocks"."blocked_id"),
	CONSTRAINT "blocks_reason_length" CHECK (char_length("blocks"."reason") <= 500)
);
--> statement-breakpoint
CREATE TABLE "reports" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "reports_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"reporter_id" bigint NOT NULL,
	"reported_user_id" bigint NOT NULL,
	"match_id" bigint,
	"content_type" text NOT NULL,
	"content_id" text,
	"evidence" text,
	"reason" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"resolved_at" timestamp with time zone,
	CONSTRAINT "reports_distinct_users" CHECK ("reports"."reporter_id" <> "reports"."reported_user_id"),
	CONSTRAINT "reports_content_type_valid" CHECK ("reports"."content_type" IN ('message', 'profile', 'photo', 'match')),
	CONSTRAINT "reports_status_valid" CHECK ("reports"."status" IN ('pending', 'actioned', 'dismissed')),
	CONSTRAINT "reports_reason_length" CHECK (char_length("reports"."reason") BETWEEN 1 AND 1000),
	CONSTRAINT "reports_content_id_length" CHECK (char_length("reports"."content_id") <= 64)
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" bigint PRIMARY KEY NOT NULL,
	"gender" text,
	"age" smallint,
	"city" text,
	"bio" text,
	"interests" text[] DEFAULT '{}'::text[] NOT NULL,
	"photo_url" text,
	"random_key" double precision DEFAULT random() NOT NULL,
	"premium_until" timestamp with time zone,
	"coins" integer DEFAULT 0 NOT NULL,
	"ban_until" timestamp with time zone,
	"ban_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_id_positive" CHECK ("users"."id" > 0),
	CONSTRAINT "users_gender_valid" CHECK ("users"."gender" IN ('male', 'female', 'other')),
	CONSTRAINT "users_age_range" CHECK ("users"."age" BETWEEN 18 AND 100),
	CONSTRAINT "users_profile_complete" CHECK (("users"."gender" IS NULL) = ("users"."age" IS NULL)),
	CONSTRAINT "users_city_length" CHECK (char_length("users"."city") <= 100),
	CONSTRAINT "users_bio_length" CHECK (char_length("users"."bio") <= 500),
	CONSTRAINT "users_interests_count" CHECK (cardinality("users"."interests") <= 10),
	CONSTRAINT "users_photo_url_length" CHECK (char_length("users"."photo_url") <= 2048),
	CONSTRAINT "users_coins_non_negative" CHECK ("users"."coins" >= 0)
);
--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_match_id_matches_id_fk" FOREIGN KEY ("match_id") REFERENCES "public"."matches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_sender_id_users_id_fk" FOREIGN KEY ("sender_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "read_markers" ADD CONSTRAINT "read_markers_match_id_matches_id_fk" FOREIGN KEY ("match_id") REFERENCES "public"."matches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "read_markers" ADD CONSTRAINT "read_markers_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "secret_chat_requests" ADD CONSTRAINT "secret_chat_requests_match_id_matches_id_fk" FOREIGN KEY ("match_id") REFERENCES "public"."matches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "secret_chat_requests" ADD CONSTRAINT "secret_chat_requests_requester_id_users_id_fk" FOREIGN KEY ("requester_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "daily_match_counts" ADD CONSTRAINT "daily_match_counts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "matches" ADD CONSTRAINT "matches_user_a_users_id_fk" FOREIGN KEY ("user_a") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "matches" ADD CONSTRAINT "matches_user_b_users_id_fk" FOREIGN KEY ("user_b") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "blocks" ADD CONSTRAINT "blocks_blocker_id_users_id_fk" FOREIGN KEY ("blocker_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "blocks" ADD CONSTRAINT "blocks_blocked_id_users_id_fk" FOREIGN KEY ("blocked_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "blocks" ADD CONSTRAINT "blocks_via_match_id_matches_id_fk" FOREIGN KEY ("via_match_id") REFERENCES "public"."matches"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_reporter_id_users_id_fk" FOREIGN KEY ("reporter_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_reported_user_id_users_id_fk" FOREIGN KEY ("reported_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_match_id_matches_id_fk" FOREIGN KEY ("match_id") REFERENCES "public"."matches"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "messages_match_id_idx" ON "messages" USING btree ("match_id","id");--> statement-breakpoint
CREATE INDEX "messages_sender_id_idx" ON "messages" USING btree ("sender_id");--> statement-breakpoint
CREATE UNIQUE INDEX "messages_client_msg_id_unique" ON "messages" USING btree ("match_id","sender_id","client_msg_id");--> statement-breakpoint
CREATE INDEX "messages_self_destruct_idx" ON "messages" USING btree ("self_destruct_at") WHERE "messages"."self_destruct_at" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "secret_chat_requests_one_pending" ON "secret_chat_requests" USING btree ("match_id") WHERE "secret_chat_requests"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "secret_chat_requests_pending_expiry_idx" ON "secret_chat_requests" USING btree ("expires_at") WHERE "secret_chat_requests"."status" = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "matches_pair_unique" ON "matches" USING btree (least("user_a", "user_b"),greatest("user_a", "user_b"));--> statement-breakpoint
CREATE INDEX "matches_user_a_idx" ON "matches" USING btree ("user_a");--> statement-breakpoint
CREATE INDEX "matches_user_b_idx" ON "matches" USING btree ("user_b");--> statement-breakpoint
CREATE INDEX "matches_active_expiry_idx" ON "matches" USING btree ("expires_at") WHERE "matches"."is_active";--> statement-breakpoint
CREATE INDEX "matches_secret_chat_idx" ON "matches" USING btree ("secret_chat_expires_at") WHERE "matches"."secret_chat_expires_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "blocks_blocked_idx" ON "blocks" USING btree ("blocked_id","blocker_id");--> statement-breakpoint
CREATE INDEX "reports_reported_recent_idx" ON "reports" USING btree ("reported_user_id","created_at");--> statement-breakpoint
CREATE INDEX "reports_status_idx" ON "reports" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "users_pick_idx" ON "users" USING btree ("random_key") WHERE "users"."age" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "users_pick_gender_idx" ON "users" USING btree ("gender","random_key") WHERE "users"."age" IS NOT NULL;