CREATE TABLE "user_settings" (
	"user_id" bigint PRIMARY KEY NOT NULL,
	"notify_new_match" boolean DEFAULT true NOT NULL,
	"notify_messages" boolean DEFAULT true NOT NULL,
	"notify_unlocks" boolean DEFAULT true NOT NULL,
	"notify_expiring" boolean DEFAULT true NOT NULL,
	"notify_secret_chat" boolean DEFAULT true NOT NULL,
	"language" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "user_settings_user_id_positive" CHECK ("user_settings"."user_id" > 0),
	CONSTRAINT "user_settings_language_valid" CHECK ("user_settings"."language" IN ('en', 'hi'))
);
--> statement-breakpoint
CREATE TABLE "telegram_chats" (
	"user_id" bigint PRIMARY KEY NOT NULL,
	"chat_id" bigint NOT NULL,
	"language_code" text,
	"reachable" boolean NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "telegram_chats_user_id_positive" CHECK ("telegram_chats"."user_id" > 0),
	CONSTRAINT "telegram_chats_language_code_length" CHECK (char_length("telegram_chats"."language_code") <= 35)
);
--> statement-breakpoint
CREATE TABLE "telegram_updates" (
	"update_id" bigint PRIMARY KEY NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
