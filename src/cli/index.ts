// The command line: picks the command from argv and turns expected failures into one line and an exit code.
import { ConfigError } from "../config";
import { DataDirInUseError } from "../db/pglite";
import { flagOf, SETTINGS } from "../settings";
import { UsageError } from "./args";
import { healthcheckCommand } from "./healthcheck";
import { migrateCommand } from "./migrate";
import { invocation, VERSION } from "./program";
import { seedCommand } from "./seed";
import { serveCommand } from "./serve";
import { telegramCommand } from "./telegram";
import { tokenCommand } from "./token";

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  serve: serveCommand,
  migrate: migrateCommand,
  seed: seedCommand,
  token: tokenCommand,
  healthcheck: healthcheckCommand,
  telegram: telegramCommand,
  version: async () => console.log(`mystery-match ${VERSION} (bun ${Bun.version})`),
  help: async () => console.log(help()),
};

export function help(): string {
  const me = invocation();
  const settings = Object.entries(SETTINGS).flatMap(([name, setting]) => [
    `  --${flagOf(name)} <value>   ${name}   (default: ${setting.fallback})`,
    `      ${setting.help}`,
  ]);
  return [
    `Mystery Match ${VERSION}: the backend of an anonymous-dating chat.`,
    "",
    `usage: ${me} [command] [flags]`,
    "",
    "commands:",
    "  serve                       run the server (the default): migrates, then listens",
    "  migrate                     apply the database migrations and exit",
    "  seed --users N [--matches M --messages K]",
    "                              load realistic test data",
    "  token <user_id> [--ttl 24h] print a bearer token for that user, signed with the configured secret",
    "  healthcheck                 exit 0 when the server on PORT answers /health",
    "  telegram set-webhook        point the bot's webhook at PUBLIC_URL/api/telegram/webhook with the secret",
    "  telegram info               print the bot's webhook as Telegram reports it (getWebhookInfo)",
    "  version                     print the version",
    "  help, --help                print this help",
    "",
    "Without DATABASE_URL the server keeps an embedded PostgreSQL (PGlite) in DATA_DIR and generates",
    "its JWT secret there. Every setting is an environment variable or a flag; a flag wins:",
    ...settings,
  ].join("\n");
}

/** Runs the command named by argv (serve when there is none) and resolves when it is done. */
export async function runCli(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  let name = first ?? "serve";
  let args = rest;
  if (first === "--help" || first === "-h") name = "help";
  else if (first === "--version" || first === "-v") name = "version";
  else if (first?.startsWith("-")) [name, args] = ["serve", argv];
  const command = COMMANDS[name];
  try {
    if (!command) throw new UsageError(`unknown command "${name}"`);
    if (args.includes("--help") || args.includes("-h")) return console.log(help());
    await command(args);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\nrun \`${invocation()} --help\` for the commands and flags`);
      process.exit(2);
    }
    if (error instanceof ConfigError) {
      console.error(`config error: ${error.message}`);
      process.exit(1);
    }
    if (error instanceof DataDirInUseError) {
      console.error(`error: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}
