// Entry point: loads the config, connects and migrates the database, serves HTTP and runs the sweeper.
import { type Config, ConfigError, loadConfig } from "./config";
import { connectPostgres } from "./db/client";
import { createApp } from "./http/app";
import { startSweeper } from "./modules/matches/sweeper";

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`config error: ${error.message}`);
    process.exit(1);
  }
}

async function serve(): Promise<void> {
  const config = configOrExit();
  const database = connectPostgres(config.databaseUrl, config.dbPoolSize);
  await database.migrate();
  const app = createApp({ db: database.db, config }).listen({ port: config.port, hostname: config.host });
  startSweeper(database.db, config.sweepIntervalSeconds, (result) => {
    if (result.deletedMessages + result.expiredMatchIds.length + result.endedSecretChatIds.length > 0) {
      console.log(JSON.stringify({ level: "info", msg: "swept", ...result }));
    }
  });
  console.log(`Mystery Match listening on http://${config.host}:${app.server?.port} (OpenAPI at /swagger)`);
}

await serve();
