// Command-line parsing shared by the commands: setting flags (--port 8080 → PORT) plus each command's own.
import { parseArgs } from "node:util";
import { flagOf, SETTINGS } from "../settings";

/** A bad command line: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

type OptionSpec = { type: "string" | "boolean"; short?: string };

export interface ParsedCommand {
  /** Setting values given as flags, by variable name: loadConfig's second argument. */
  flags: Record<string, string>;
  /** The command's own options. */
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Each setting's variable by its flag: --port → PORT. */
const settingByFlag = new Map(Object.keys(SETTINGS).map((name) => [flagOf(name), name]));
const settingOptions = Object.fromEntries([...settingByFlag.keys()].map((flag) => [flag, { type: "string" } as const]));

/** Parses `args` strictly: an unknown flag or a missing value is a UsageError. */
export function parseCommand(args: string[], own: Record<string, OptionSpec> = {}): ParsedCommand {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      // `bun run seed -- --users N` may pass the separator through.
      args: args[0] === "--" ? args.slice(1) : args,
      options: { ...settingOptions, ...own },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const flags: Record<string, string> = {};
  const values: ParsedCommand["values"] = {};
  for (const [key, value] of Object.entries(parsed.values)) {
    const name = settingByFlag.get(key);
    if (name && !(key in own)) flags[name] = String(value);
    else values[key] = value as string | boolean;
  }
  return { flags, values, positionals: parsed.positionals };
}
