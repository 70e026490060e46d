// Entry point: loads the config, connects and migrates the database, and serves HTTP.
import { ConfigError, loadConfig } from "./config";
import { connectPostgres } from "./db/client";
import { createApp } from "./http/app";

async function serve(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`config error: ${error.message}`);
    process.exit(1);
  }
  const database = connectPostgres(config.databaseUrl, config.dbPoolSize);
  await database.migrate();
  const app = createApp({ db: database.db, config }).listen({ port: config.port, hostname: config.host });
  console.log(`Mystery Match listening on http://${config.host}:${app.server?.port} (OpenAPI at /swagger)`);
}

await serve();
