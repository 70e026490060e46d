// POST /api/telegram/webhook: Telegram's updates, checked by their secret header, each handled once.
import { createHash, timingSafeEqual } from "node:crypto";
import type { Update } from "@grammyjs/types";
import { Elysia, t } from "elysia";
import type { Db } from "../../db/client";
import { AppError } from "../../kernel/errors";
import { errors, JsonInteger } from "../../kernel/schemas";
import { log } from "../../log";
import type { AppDeps } from "../deps";
import { answerPreCheckout } from "../payments/checkout";
import { type BotApi, createBotApi, describeFailure } from "./bot-api";
import { handleUpdate, markUnreachable, type Reply } from "./updates";

export const WEBHOOK_PATH = "/api/telegram/webhook";
export const SECRET_HEADER = "x-telegram-bot-api-secret-token";

const WEBHOOK_URL = /^[^:]+:\/\/[^/]+\/api\/telegram\/webhook(?:[?#]|$)/;

const digest = (value: string) => createHash("sha256").update(value).digest();

/** Whether the header carries the secret; both sides hashed first, so the time says nothing of how much matched. */
export const isWebhookSecret = (secret: string, presented: string | null): boolean =>
  timingSafeEqual(digest(presented ?? ""), digest(secret));

/** Telegram's Update: update_id checked here, the rest read defensively by updates.ts (Bot API types). */
const UpdateBody = t.Object(
  { update_id: JsonInteger({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: "Telegram's update id" }) },
  { additionalProperties: true, description: "A Telegram Update (Bot API)" },
);

const Accepted = t.Object({ success: t.Literal(true) });

/**
 * The webhook exists only with TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET: without the secret no
 * request could prove it comes from Telegram, and without the token nothing could be answered. Absent,
 * its path is the 404 of any unknown path, and /swagger/json does not list it.
 */
export const telegramRoutes = ({ db, config }: AppDeps) => {
  const plugin = new Elysia({ name: "telegram", prefix: "/api/telegram" });
  const { telegramBotToken: token, telegramWebhookSecret: secret } = config;
  if (token === null || secret === null) return plugin;
  const bot = createBotApi({ apiUrl: config.telegramApiUrl, token });
  const context = { publicUrl: config.publicUrl };
  return plugin
    .onRequest(({ request }) => {
      // Before routing and body parsing: without the secret, not even a malformed body is looked at.
      if (WEBHOOK_URL.test(request.url) && !isWebhookSecret(secret, request.headers.get(SECRET_HEADER))) {
        throw new AppError(401, "unauthorized", "Missing or invalid webhook secret");
      }
    })
    .post(
      "/webhook",
      async ({ body }) => {
        const update = body as unknown as Update;
        // Answered before this reply, as Telegram wants within 10 s; it changes nothing, so no deduplication.
        if (update.pre_checkout_query) {
          await answerPreCheckout(db, bot, update.pre_checkout_query);
          return { success: true as const };
        }
        const replies = await handleUpdate(db, context, update);
        // Answered at once: Telegram waits for this reply before the next update. The replies go out
        // after it; the notification outbox (next) will make such sends durable.
        if (replies !== null) for (const reply of replies) void send(db, bot, reply);
        return { success: true as const };
      },
      {
        body: UpdateBody,
        response: { 200: Accepted, ...errors(400, 401, 413, 422) },
        detail: {
          tags: ["telegram"],
          summary: "Telegram's updates for the bot (set with `mystery-match telegram set-webhook`)",
          description:
            "The X-Telegram-Bot-Api-Secret-Token header must equal TELEGRAM_WEBHOOK_SECRET (else 401). " +
            "An update_id seen before is answered 200 and ignored. Handles /start, /stop, my_chat_member, " +
            "pre_checkout_query (answered before the reply) and successful_payment (credited once per charge). " +
            "Present only with TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET configured.",
        },
      },
    );
};

/** One reply as one sendMessage; a failure is logged by its kind (never with the token), a 403 marks the user unreachable. */
async function send(db: Db, bot: BotApi, reply: Reply): Promise<void> {
  const outcome = await bot.call("sendMessage", {
    chat_id: reply.chatId,
    text: reply.text,
    ...(reply.replyMarkup ? { reply_markup: reply.replyMarkup } : {}),
  });
  if (outcome.kind === "ok") return;
  log("warn", "telegram reply not sent", { outcome: outcome.kind, why: describeFailure(outcome) });
  if (outcome.kind === "blocked") {
    await markUnreachable(db, reply.chatId).catch((error) =>
      log("error", "telegram: marking a chat unreachable failed", { error: String(error) }),
    );
  }
}
