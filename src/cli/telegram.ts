// `telegram set-webhook` and `telegram info`: point the bot's webhook at this server, and show where it points.
import { ConfigError } from "../config";
import { type BotApi, type BotOutcome, createBotApi, describeFailure } from "../modules/telegram/bot-api";
import { WEBHOOK_PATH } from "../modules/telegram/routes";
import { HANDLED_UPDATES } from "../modules/telegram/updates";
import { SETTINGS } from "../settings";
import { parseCommand, UsageError } from "./args";

const USAGE = "usage: telegram set-webhook | telegram info";

type Env = Record<string, string | undefined>;
type Name = "TELEGRAM_BOT_TOKEN" | "TELEGRAM_API_URL" | "TELEGRAM_WEBHOOK_SECRET" | "PUBLIC_URL";

/**
 * Only the settings these commands use, checked by their rules in settings.ts: the full config would
 * want a database's JWT_SECRET, or create DATA_DIR files, for nothing.
 */
function read(flags: Env, name: Name): string | null {
  const raw = (flags[name] ?? process.env[name])?.trim() || undefined;
  return SETTINGS[name].read(raw, name, true);
}

function required(flags: Env, name: Name, why: string): string {
  const value = read(flags, name);
  if (value === null) throw new ConfigError(`${name} is not set: ${why}`);
  return value;
}

function botApi(flags: Env): BotApi {
  const token = required(flags, "TELEGRAM_BOT_TOKEN", "the bot's token from BotFather");
  return createBotApi({ apiUrl: read(flags, "TELEGRAM_API_URL")!, token });
}

/** The call's result, or one line saying why not and exit 1. */
async function call<T>(what: string, outcome: Promise<BotOutcome<T>>): Promise<T> {
  const done = await outcome;
  if (done.kind === "ok") return done.result;
  console.error(`telegram: ${what} failed: ${describeFailure(done)}`);
  process.exit(1);
}

/** PUBLIC_URL/api/telegram/webhook, whatever path PUBLIC_URL has (its own path is kept, its hash dropped). */
export function webhookUrl(publicUrl: string): string {
  const url = new URL(publicUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}${WEBHOOK_PATH}`;
  url.hash = "";
  url.search = "";
  return url.toString();
}

async function setWebhook(flags: Env): Promise<void> {
  const api = botApi(flags);
  const publicUrl = required(flags, "PUBLIC_URL", "the page's public https address, where Telegram sends updates");
  const secret = required(flags, "TELEGRAM_WEBHOOK_SECRET", "the secret Telegram sends with every update");
  const url = webhookUrl(publicUrl);
  await call(
    "setWebhook",
    api.call("setWebhook", {
      url,
      secret_token: secret,
      allowed_updates: [...HANDLED_UPDATES],
      drop_pending_updates: false,
    }),
  );
  console.log(`webhook set: ${url} (updates: ${HANDLED_UPDATES.join(", ")})`);
}

async function info(flags: Env): Promise<void> {
  const result = await call("getWebhookInfo", botApi(flags).call("getWebhookInfo", {}));
  console.log(JSON.stringify(result, null, 2));
}

export async function telegramCommand(args: string[]): Promise<void> {
  const { flags, positionals } = parseCommand(args);
  const [sub, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`telegram: unexpected argument "${extra[0]}"\n${USAGE}`);
  if (sub === "set-webhook") return setWebhook(flags);
  if (sub === "info") return info(flags);
  throw new UsageError(sub === undefined ? USAGE : `telegram: unknown subcommand "${sub}"\n${USAGE}`);
}
