ALTER TABLE "blocks" DROP CONSTRAINT "blocks_blocked_id_users_id_fk";
--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "unlock_progress" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "unlocked" smallint;--> statement-breakpoint
ALTER TABLE "spent_client_msg_ids" ADD COLUMN "unlock_progress" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "spent_client_msg_ids" ADD COLUMN "unlocked" smallint;--> statement-breakpoint
ALTER TABLE "matches" ADD COLUMN "messages_a" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "matches" ADD COLUMN "messages_b" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "blocks" ADD COLUMN "seq" bigint NOT NULL GENERATED ALWAYS AS IDENTITY (sequence name "blocks_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1);--> statement-breakpoint
ALTER TABLE "reports" ADD COLUMN "counts_toward_ban" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "profile_created_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "blocks_blocker_seq_idx" ON "blocks" USING btree ("blocker_id","seq");
--> statement-breakpoint
-- Backfill, from the messages still stored (self-destructed ones are gone and count on neither side):
-- each side's messages of every match, each message's unlock_progress, and when each profile was made.
UPDATE "matches" m SET "messages_a" = s.a, "messages_b" = s.b
FROM (SELECT x."match_id", count(*) FILTER (WHERE x."sender_id" = mm."user_a") AS a,
             count(*) FILTER (WHERE x."sender_id" = mm."user_b") AS b
      FROM "messages" x JOIN "matches" mm ON mm."id" = x."match_id" GROUP BY x."match_id") s
WHERE m."id" = s."match_id";--> statement-breakpoint
UPDATE "messages" x SET "unlock_progress" = LEAST(x."seq", 2 * LEAST(w.a, w.b))
FROM (SELECT y."id",
             count(*) FILTER (WHERE y."sender_id" = mm."user_a") OVER (PARTITION BY y."match_id" ORDER BY y."id") AS a,
             count(*) FILTER (WHERE y."sender_id" = mm."user_b") OVER (PARTITION BY y."match_id" ORDER BY y."id") AS b
      FROM "messages" y JOIN "matches" mm ON mm."id" = y."match_id") w
WHERE w."id" = x."id";--> statement-breakpoint
UPDATE "users" SET "profile_created_at" = "created_at" WHERE "age" IS NOT NULL;
