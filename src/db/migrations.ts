// The SQL migrations in drizzle/, embedded in the build: the binary needs no drizzle/ folder beside it.
import { createHash } from "node:crypto";
import type { MigrationMeta } from "drizzle-orm/migrator";
import m0000 from "../../drizzle/0000_init.sql" with { type: "text" };
import m0001 from "../../drizzle/0001_find_match.sql" with { type: "text" };
import m0002 from "../../drizzle/0002_spent_client_msg_ids.sql" with { type: "text" };
import m0003 from "../../drizzle/0003_unlock_progress_and_safety.sql" with { type: "text" };
import m0004 from "../../drizzle/0004_telegram_and_settings.sql" with { type: "text" };
import m0007 from "../../drizzle/0007_payments.sql" with { type: "text" };
import m0008 from "../../drizzle/0008_outbox.sql" with { type: "text" };
import m0009 from "../../drizzle/0009_matching.sql" with { type: "text" };
import m0010 from "../../drizzle/0010_matching_pick.sql" with { type: "text" };
import m0011 from "../../drizzle/0011_photos.sql" with { type: "text" };
import m0012 from "../../drizzle/0012_matching_order.sql" with { type: "text" };
import journal from "../../drizzle/meta/_journal.json";

/**
 * Every migration file by its journal tag. A new file from `bun run db:generate` must be imported
 * and listed here too; test/db/migrations.test.ts fails until it is.
 */
export const MIGRATION_FILES: Readonly<Record<string, string>> = {
  "0000_init": m0000,
  "0001_find_match": m0001,
  "0002_spent_client_msg_ids": m0002,
  "0003_unlock_progress_and_safety": m0003,
  "0004_telegram_and_settings": m0004,
  "0007_payments": m0007,
  "0008_outbox": m0008,
  "0009_matching": m0009,
  "0010_matching_pick": m0010,
  "0011_photos": m0011,
  "0012_matching_order": m0012,
};

/** The journal's entries, in order, as drizzle's migrator reads them from a folder. */
export function embeddedMigrations(): MigrationMeta[] {
  return journal.entries.map((entry) => {
    const query = MIGRATION_FILES[entry.tag];
    if (query === undefined) throw new Error(`migration ${entry.tag} is in the journal but not embedded`);
    return {
      sql: query.split("--> statement-breakpoint"),
      bps: entry.breakpoints,
      folderMillis: entry.when,
      hash: createHash("sha256").update(query).digest("hex"),
    };
  });
}
