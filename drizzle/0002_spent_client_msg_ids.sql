CREATE TABLE "spent_client_msg_ids" (
	"match_id" bigint NOT NULL,
	"sender_id" bigint NOT NULL,
	"client_msg_id" text NOT NULL,
	"message_id" bigint NOT NULL,
	"seq" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "spent_client_msg_ids_match_id_sender_id_client_msg_id_pk" PRIMARY KEY("match_id","sender_id","client_msg_id")
);
--> statement-breakpoint
ALTER TABLE "spent_client_msg_ids" ADD CONSTRAINT "spent_client_msg_ids_match_id_matches_id_fk" FOREIGN KEY ("match_id") REFERENCES "public"."matches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "spent_client_msg_ids" ADD CONSTRAINT "spent_client_msg_ids_sender_id_users_id_fk" FOREIGN KEY ("sender_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;