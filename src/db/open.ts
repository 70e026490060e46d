// Picks the database the config names: PostgreSQL with DATABASE_URL, else the embedded PGlite in DATA_DIR.
import type { Config } from "../config";
import { connectPostgres, type Database } from "./client";
import { connectPglite } from "./pglite";

/** Opens (does not migrate) the configured database; `poolSize` overrides DB_POOL_SIZE for PostgreSQL. */
export async function openDatabase(config: Config, poolSize = config.dbPoolSize): Promise<Database> {
  return config.databaseUrl === null ? connectPglite(config.dataDir) : connectPostgres(config.databaseUrl, poolSize);
}
