// Entry point: loads the config, connects and migrates the database, serves HTTP and sockets, sweeps.
import { type Config, ConfigError, loadConfig } from "./config";
import { connectPostgres } from "./db/client";
import { createApp } from "./http/app";
import { log } from "./log";
import { startSweeper } from "./modules/matches/sweeper";
import { createRealtime } from "./realtime";

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
  const realtime = await createRealtime(config.redisUrl, config.redisPrefix);
  const app = createApp({ db: database.db, config, realtime }).listen({ port: config.port, hostname: config.host });
  realtime.local.attach(app.server!);
  const stopSweeper = startSweeper(database.db, realtime.bus, config.sweepIntervalSeconds);
  log("info", "listening", {
    url: `http://${config.host}:${app.server?.port}`,
    openapi: "/swagger",
    realtime: config.redisUrl ? "redis" : "in-process",
  });

  const shutdown = async (signal: string) => {
    log("info", "shutting down", { signal });
    stopSweeper();
    realtime.local.closeAll(1001, "server shutting down");
    await app.stop();
    await realtime.close();
    await database.close(5);
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}

await serve();
