// `serve` (the default command): migrate, listen, sweep, and stop gracefully on SIGTERM/SIGINT.
import { join } from "node:path";
import { ConfigError, GENERATED_SECRET_FILE, loadConfig } from "../config";
import { openDatabase } from "../db/open";
import { createApp } from "../http/app";
import { log } from "../log";
import { startSweeper } from "../modules/matches/sweeper";
import { createRealtime } from "../realtime";
import { parseCommand, UsageError } from "./args";
import { tokenHint as hint, VERSION } from "./program";

export async function serveCommand(args: string[]): Promise<void> {
  const { flags, positionals } = parseCommand(args);
  if (positionals.length > 0) throw new UsageError(`serve: unexpected argument "${positionals[0]}"`);
  const config = loadConfig(process.env, flags);
  const database = await openDatabase(config);
  await database.migrate();
  const realtime = await createRealtime(config);
  const app = createApp({ db: database.db, config, realtime, dbStats: database.stats });
  try {
    app.listen({ port: config.port, hostname: config.host });
  } catch (error) {
    await realtime.close();
    await database.close();
    if ((error as { code?: string }).code !== "EADDRINUSE") throw error;
    throw new ConfigError(`PORT ${config.port} on ${config.host} is already in use`);
  }
  realtime.local.attach(app.server!);
  const stopSweeper = startSweeper(database.db, realtime.bus, config.sweepIntervalSeconds);

  const url = `http://${config.host}:${app.server?.port}`;
  const local = `http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${app.server?.port}`;
  const embedded = config.databaseUrl === null;
  const tokenHint = hint();
  log("info", "listening", {
    url,
    swagger: `${local}/swagger`,
    database: database.description,
    realtime: config.redisUrl ? "redis" : "in-process",
    version: VERSION,
    ...(embedded ? { token: tokenHint } : {}),
  });
  if (process.stderr.isTTY) {
    const lines = [
      `Mystery Match ${VERSION} is listening on ${url}`,
      `  API docs   ${local}/swagger`,
      `  database   ${database.description}`,
      `  metrics    ${local}/metrics`,
    ];
    if (embedded) {
      const secret = flags.JWT_SECRET ?? process.env.JWT_SECRET;
      lines.push(
        `  a token    ${tokenHint}${secret ? "" : `   (signed with the secret in ${join(config.dataDir, GENERATED_SECRET_FILE)})`}`,
      );
    }
    console.error(lines.join("\n"));
  }

  // Graceful shutdown: stop accepting, let in-flight requests finish, close sockets with 1001, stop the
  // sweeper, then close realtime and the database. A second signal, or the timeout, exits at once.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      log("warn", "second signal: exiting now", { signal });
      process.exit(1);
    }
    stopping = true;
    log("info", "shutting down", { signal, timeoutSeconds: config.shutdownTimeoutSeconds });
    setTimeout(() => {
      log("error", "shutdown timed out: exiting with work unfinished", {
        timeoutSeconds: config.shutdownTimeoutSeconds,
      });
      process.exit(1);
    }, config.shutdownTimeoutSeconds * 1000).unref();
    try {
      stopSweeper();
      const stopped = app.stop(false);
      realtime.local.closeAll(1001, "server shutting down");
      await stopped;
      await realtime.close();
      await database.close(config.shutdownTimeoutSeconds);
      log("info", "stopped", { signal });
      process.exit(0);
    } catch (error) {
      log("error", "shutdown failed", { error: String(error) });
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}
