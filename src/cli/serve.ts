// `serve` (the default command): migrate, listen, sweep, send notifications, and stop gracefully on SIGTERM/SIGINT.
import { join, resolve } from "node:path";
import { type Config, ConfigError, checkServeConfig, GENERATED_SECRET_FILE, loadConfig } from "../config";
import { openDatabase } from "../db/open";
import { createApp } from "../http/app";
import { log, useLogFormat } from "../log";
import { ActivityRecorder } from "../modules/activity/recorder";
import { startSweeper } from "../modules/matches/sweeper";
import { createNotificationSender } from "../modules/notifications/sender";
import { createBotApi } from "../modules/telegram/bot-api";
import { createRealtime } from "../realtime";
import { SETTINGS } from "../settings";
import { parseCommand, UsageError } from "./args";
import { tokenHint as hint, VERSION } from "./program";
import { superviseWorkers, workerIndex } from "./workers";

/** What the start-up output says, in words, while the demo sign-in is on. */
export const DEMO_ON =
  "on: anyone who can reach this server can sign in as any user id (POST /api/demo/token); DEMO=0 turns it off";

/** A repeat of the first signal within this long is a copy of it, not a second request (see shutdown). */
const SAME_SIGNAL_MS = 1000;
/** How often a server run by a package manager's script looks whether that parent is still there. */
const PARENT_CHECK_MS = 1000;

export interface StartupFacts {
  url: string;
  /** The URL to open on this machine: localhost for 0.0.0.0. */
  local: string;
  /** The web page's address: PUBLIC_URL when set, else `local` (never 0.0.0.0). */
  page: string;
  database: string;
  demo: boolean;
  /** On the embedded database: how to get a token, and where the generated secret lives (null when JWT_SECRET was given). */
  token: { hint: string; secretFile: string | null } | null;
}

/** The lines printed on a terminal at start, under the JSON "listening" line. */
export function startupBanner(facts: StartupFacts): string[] {
  const lines = [
    `Mystery Match ${VERSION} is listening on ${facts.url}`,
    `  web page   ${facts.page}`,
    `  API docs   ${facts.local}/swagger`,
    `  database   ${facts.database}`,
    `  metrics    ${facts.local}/metrics`,
  ];
  if (facts.demo) lines.push(`  demo       ${DEMO_ON}`);
  if (facts.token) {
    const secret = facts.token.secretFile ? `   (signed with the secret in ${facts.token.secretFile})` : "";
    lines.push(`  a token    ${facts.token.hint}${secret}`);
  }
  return lines;
}

export async function serveCommand(args: string[]): Promise<void> {
  const { flags, positionals } = parseCommand(args);
  if (positionals.length > 0) throw new UsageError(`serve: unexpected argument "${positionals[0]}"`);
  const config = loadConfig(process.env, flags);
  useLogFormat(config.logFormat);
  checkServeConfig(config);
  const worker = workerIndex();
  if (config.workers !== null && worker === null) {
    return superviseWorkers(config, args, (database, port) => announce(config, flags, database, port, config.workers));
  }
  const database = await openDatabase(config);
  // A worker's parent has migrated already.
  if (worker === null) await database.migrate();
  const realtime = await createRealtime({
    ...config,
    worker: worker !== null && config.databaseUrl !== null ? { databaseUrl: config.databaseUrl } : undefined,
  });
  // With the bot's token and the page's address, notifications are sent (by one process at a time).
  const { telegramBotToken: token, publicUrl } = config;
  const notifier =
    token !== null && publicUrl !== null
      ? createNotificationSender({
          db: database.db,
          bot: createBotApi({ apiUrl: config.telegramApiUrl, token }),
          presence: realtime.presence,
          publicUrl,
          maxPerSecond: config.telegramMaxPerSecond,
        })
      : null;
  const activity = new ActivityRecorder(database.db);
  const stopping = new AbortController();
  const app = createApp({
    db: database.db,
    config,
    realtime,
    activity,
    stopping: stopping.signal,
    dbStats: database.stats,
    metrics: notifier?.metrics,
    worker,
  });
  try {
    // reusePort off (Elysia turns SO_REUSEPORT on by default): a second server on a port in use
    // fails here instead of silently sharing the port and half of its connections. Only the
    // workers of one `serve --workers` share theirs (their parent found it free first).
    app.listen({ port: config.port, hostname: config.host, reusePort: worker !== null });
  } catch (error) {
    await realtime.close();
    await database.close();
    if ((error as { code?: string }).code !== "EADDRINUSE") throw error;
    throw new ConfigError(`PORT ${config.port} on ${config.host} is already in use by another process`);
  }
  realtime.local.attach(app.server!);
  const stopSweeper = startSweeper(database.db, realtime.bus, config.sweepIntervalSeconds);
  notifier?.start();
  const stopActivity = activity.start();

  // Graceful shutdown: stop accepting, let in-flight requests finish, close sockets with 1001, stop the
  // sweeper, then close realtime and the database. A second signal, or the timeout, exits at once.
  // Installed before the "listening" line, so that whoever waits for that line may signal at once.
  let first: { signal: string; at: number } | null = null;
  let stopWatching = () => {};
  const shutdown = async (signal: string) => {
    if (first) {
      // A terminal's Ctrl-C reaches every process of the job, npm and this one, and npm passes its
      // own copy on: the same signal again within a second is that copy.
      if (signal === first.signal && performance.now() - first.at < SAME_SIGNAL_MS) return;
      log("warn", "second signal: exiting now", { signal });
      process.exit(1);
    }
    first = { signal, at: performance.now() };
    stopWatching();
    log("info", "shutting down", { signal, timeoutSeconds: config.shutdownTimeoutSeconds });
    setTimeout(() => {
      log("error", "shutdown timed out: exiting with work unfinished", {
        timeoutSeconds: config.shutdownTimeoutSeconds,
      });
      process.exit(1);
    }, config.shutdownTimeoutSeconds * 1000).unref();
    try {
      stopSweeper();
      // Searches waiting in the pool answer now (404, or the match made meanwhile) instead of holding the stop.
      stopping.abort();
      const stopped = app.stop(false);
      realtime.local.closeAll(1001, "server shutting down");
      await stopped;
      // Its calls under way finish and are recorded; the lease goes to the next process at once.
      await notifier?.stop();
      await stopActivity();
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
  if (worker === null) {
    stopWatching = watchParent(() => void shutdown("parent exited"));
    announce(config, flags, database.description, app.server!.port!, null);
    return;
  }
  // A worker stops with its parent (the IPC channel closes when the parent is gone, however it went).
  process.on("disconnect", () => void shutdown("parent exited"));
  log("info", "worker listening", { worker, port: app.server!.port });
  process.send!({ kind: "listening" });
}

/**
 * Run by a package manager's script (`npm start`, `bun run start`: npm_lifecycle_event is set), the
 * server stops gracefully once the process that started it is gone. npm passes SIGINT and SIGTERM on
 * to its script, but nothing when it is killed outright, and a shell standing between the two passes
 * nothing on at all: the server would live on, unseen, holding its port and data directory. Started
 * any other way (a shell's `&`, nohup, systemd, Docker) it keeps running whatever its parent does.
 * Returns the function that stops watching.
 */
function watchParent(onGone: () => void): () => void {
  const parent = process.ppid;
  if (!process.env.npm_lifecycle_event || parent <= 1) return () => {};
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, PARENT_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The "listening" line and, on a terminal, the banner: where, which database, whether the demo
 * sign-in is on, and how many workers (null: this process alone).
 */
function announce(
  config: Config,
  flags: Record<string, string | undefined>,
  database: string,
  port: number,
  workers: number | null,
): void {
  const everywhere = config.host === "0.0.0.0" || config.host === "::";
  const authority = (host: string) => (host.includes(":") ? `[${host}]` : host);
  const url = `http://${authority(config.host)}:${port}`;
  const local = `http://${everywhere ? "localhost" : authority(config.host)}:${port}`;
  const embedded = config.databaseUrl === null;
  const tokenHint = hint(config.dataDir === resolve(SETTINGS.DATA_DIR.fallback) ? null : config.dataDir);
  const page = config.publicUrl ?? `${local}/`;
  log("info", "listening", {
    url,
    page,
    swagger: `${local}/swagger`,
    database,
    realtime: config.redisUrl ? "redis" : workers !== null ? "postgres" : "in-process",
    ...(workers !== null ? { workers } : {}),
    version: VERSION,
    ...(config.demo ? { demo: DEMO_ON } : {}),
    ...(embedded ? { token: tokenHint } : {}),
  });
  if (process.stderr.isTTY) {
    const secretGiven = Boolean(flags.JWT_SECRET ?? process.env.JWT_SECRET);
    const banner = startupBanner({
      url,
      local,
      page,
      database,
      demo: config.demo,
      token: embedded
        ? { hint: tokenHint, secretFile: secretGiven ? null : join(config.dataDir, GENERATED_SECRET_FILE) }
        : null,
    });
    console.error(banner.join("\n"));
  }
}
