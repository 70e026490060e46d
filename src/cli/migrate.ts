// `migrate`: applies the embedded SQL migrations to the configured database and exits.
import { loadConfig } from "../config";
import { openDatabase } from "../db/open";
import { log } from "../log";
import { parseCommand, UsageError } from "./args";

export async function migrateCommand(args: string[]): Promise<void> {
  const { flags, positionals } = parseCommand(args);
  if (positionals.length > 0) throw new UsageError(`migrate: unexpected argument "${positionals[0]}"`);
  const database = await openDatabase(loadConfig(process.env, flags), 2);
  try {
    await database.migrate();
    log("info", "migrated", { database: database.description });
  } finally {
    await database.close();
  }
}
