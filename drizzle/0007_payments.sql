CREATE TABLE "coin_ledger" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "coin_ledger_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" bigint NOT NULL,
	"amount" integer NOT NULL,
	"reason" text NOT NULL,
	"charge_id" text,
	"match_id" bigint,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "coin_ledger_amount_non_zero" CHECK ("coin_ledger"."amount" <> 0),
	CONSTRAINT "coin_ledger_reason_valid" CHECK ("coin_ledger"."reason" IN ('opening', 'purchase', 'extend', 'operator', 'refund'))
);
--> statement-breakpoint
CREATE TABLE "payment_orders" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" bigint NOT NULL,
	"item" text NOT NULL,
	"kind" text NOT NULL,
	"coins" integer,
	"days" integer,
	"stars" integer NOT NULL,
	"currency" text DEFAULT 'XTR' NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"invoice_link" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"paid_at" timestamp with time zone,
	CONSTRAINT "payment_orders_kind_valid" CHECK ("payment_orders"."kind" IN ('coins', 'premium')),
	CONSTRAINT "payment_orders_status_valid" CHECK ("payment_orders"."status" IN ('pending', 'paid', 'refunded')),
	CONSTRAINT "payment_orders_stars_positive" CHECK ("payment_orders"."stars" > 0),
	CONSTRAINT "payment_orders_goods" CHECK (("payment_orders"."kind" = 'coins' AND "payment_orders"."coins" > 0 AND "payment_orders"."days" IS NULL) OR ("payment_orders"."kind" = 'premium' AND "payment_orders"."days" > 0 AND "payment_orders"."coins" IS NULL))
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "payments_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"charge_id" text NOT NULL,
	"order_id" text,
	"user_id" bigint NOT NULL,
	"payload" text NOT NULL,
	"currency" text NOT NULL,
	"stars" integer NOT NULL,
	"is_recurring" boolean DEFAULT false NOT NULL,
	"status" text NOT NULL,
	"problem" text,
	"coins" integer,
	"premium_until" timestamp with time zone,
	"days" integer,
	"update_id" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"refunded_at" timestamp with time zone,
	"coins_taken_back" integer,
	CONSTRAINT "payments_status_valid" CHECK ("payments"."status" IN ('credited', 'unmatched', 'refunded')),
	CONSTRAINT "payments_unmatched_has_problem" CHECK ("payments"."status" <> 'unmatched' OR "payments"."problem" IS NOT NULL)
);
--> statement-breakpoint
ALTER TABLE "coin_ledger" ADD CONSTRAINT "coin_ledger_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_orders" ADD CONSTRAINT "payment_orders_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_order_id_payment_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."payment_orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "coin_ledger_user_idx" ON "coin_ledger" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "payment_orders_user_idx" ON "payment_orders" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "payments_charge_id_unique" ON "payments" USING btree ("charge_id");--> statement-breakpoint
CREATE INDEX "payments_status_idx" ON "payments" USING btree ("status","id");--> statement-breakpoint
-- Balances held before the ledger began become each user's first entry, so the balance equals the ledger's sum from the start.
INSERT INTO "coin_ledger" ("user_id", "amount", "reason", "created_at") SELECT "id", "coins", 'opening', now() FROM "users" WHERE "coins" <> 0;
