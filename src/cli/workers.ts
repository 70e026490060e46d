// `serve --workers N`: one parent that migrates, starts N copies of this program on one port, restarts any that dies, and stops them all on SIGTERM.
import type { Subprocess } from "bun";
import { type Config, ConfigError } from "../config";
import { openDatabase } from "../db/open";
import { log } from "../log";
import { type SharedRequest, SharedState } from "../realtime/shared.ipc";
import { isCompiled } from "./program";

/** The environment variable that makes a started copy a worker, holding its index. */
export const WORKER_ENV = "MYSTERY_MATCH_WORKER";

/** This process's worker index, or null when it is not a worker of `serve --workers` (which always has an IPC channel to its parent). */
export function workerIndex(): number | null {
  const raw = process.env[WORKER_ENV];
  return raw !== undefined && /^\d+$/.test(raw) && typeof process.send === "function" ? Number(raw) : null;
}

/** A worker that ran at least this long before dying is restarted at once; one dying sooner, after a growing wait. */
const STEADY_MS = 10_000;
const MAX_RESTART_DELAY_MS = 30_000;
/** A repeat of the first signal within this long is a copy of it (a terminal's Ctrl-C reaches every process). */
const SAME_SIGNAL_MS = 1000;

/** What a worker tells its parent besides shared-state questions. */
export type WorkerMessage = { kind: "listening" } | SharedRequest;

/** This program as a command: the binary itself, or bun with the entry file when run from source. */
const self = (): string[] => (isCompiled() ? [process.execPath] : [process.execPath, Bun.main]);

/**
 * Fails with one line when the port is taken (by anyone: a listener with or without SO_REUSEPORT
 * refuses this plain bind), and turns PORT=0 into the free port every worker will share.
 */
function claimPort(config: Config): number {
  try {
    const probe = Bun.listen({ hostname: config.host, port: config.port, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    return port;
  } catch (error) {
    if ((error as { code?: string }).code !== "EADDRINUSE") throw error;
    throw new ConfigError(`PORT ${config.port} on ${config.host} is already in use by another process`);
  }
}

interface Slot {
  index: number;
  child: Subprocess | null;
  startedAt: number;
  failures: number;
  listening: boolean;
}

/**
 * Runs until SIGTERM/SIGINT: then each worker drains (its own graceful shutdown) and the parent
 * exits 0 once every one has exited 0. `announce` prints the "listening" line once every worker
 * listens. Without Redis, the parent holds presence and rate limits for all workers (SharedState).
 */
export async function superviseWorkers(
  config: Config,
  args: string[],
  announce: (database: string, port: number) => void,
): Promise<void> {
  const count = config.workers!;
  if (config.databaseUrl === null) {
    throw new ConfigError(
      "--workers needs DATABASE_URL: the workers share one PostgreSQL server (the embedded database belongs to one process)",
    );
  }
  // Migrated once, here, before any worker starts.
  const database = await openDatabase(config);
  try {
    await database.migrate();
  } finally {
    await database.close();
  }
  const port = claimPort(config);
  const shared = config.redisUrl === null ? new SharedState() : null;
  const slots: Slot[] = Array.from({ length: count }, (_, index) => ({
    index,
    child: null,
    startedAt: 0,
    failures: 0,
    listening: false,
  }));
  let stopping: { signal: string; at: number } | null = null;
  let announced = false;

  const start = (slot: Slot) => {
    slot.startedAt = performance.now();
    slot.listening = false;
    const child = Bun.spawn({
      // A flag wins over the environment: the port every worker shares comes last.
      cmd: [...self(), "serve", ...args, "--port", String(port)],
      env: { ...process.env, [WORKER_ENV]: String(slot.index), npm_lifecycle_event: undefined },
      stdio: ["ignore", "inherit", "inherit"],
      serialization: "json",
      ipc(message: WorkerMessage, subprocess) {
        if (message.kind === "listening") {
          slot.listening = true;
          if (!announced && slots.every((each) => each.listening)) {
            announced = true;
            announce(database.description, port);
          }
          return;
        }
        if (message.kind === "shared" && shared) {
          shared.answer(slot.index, message).then(
            (reply) => subprocess.send(reply),
            (error) => log("error", "shared state failed", { error: String(error) }),
          );
        }
      },
      onExit(_subprocess, code, signal) {
        slot.child = null;
        shared?.workerGone(slot.index);
        if (stopping) return;
        const ranMs = performance.now() - slot.startedAt;
        slot.failures = ranMs >= STEADY_MS ? 0 : slot.failures + 1;
        const delay = slot.failures === 0 ? 0 : Math.min(1000 * 2 ** (slot.failures - 1), MAX_RESTART_DELAY_MS);
        log("error", "worker exited: restarting", { worker: slot.index, code, signal, restartInMs: delay });
        setTimeout(() => {
          if (!stopping) start(slot);
        }, delay);
      },
    });
    slot.child = child;
  };

  const stopAll = async (signal: NodeJS.Signals) => {
    if (stopping) {
      if (signal === stopping.signal && performance.now() - stopping.at < SAME_SIGNAL_MS) return;
      log("warn", "second signal: killing the workers", { signal });
      for (const slot of slots) slot.child?.kill("SIGKILL");
      process.exit(1);
    }
    stopping = { signal, at: performance.now() };
    log("info", "shutting down the workers", { signal, workers: count });
    // The same signal the parent got: a worker that got it from the terminal too takes this for that copy.
    const children = slots.flatMap((slot) => (slot.child ? [slot.child] : []));
    for (const child of children) child.kill(signal);
    setTimeout(
      () => {
        log("error", "workers did not stop in time: killing them", { timeoutSeconds: config.shutdownTimeoutSeconds });
        for (const slot of slots) slot.child?.kill("SIGKILL");
        process.exit(1);
      },
      (config.shutdownTimeoutSeconds + 5) * 1000,
    ).unref();
    const codes = await Promise.all(children.map((child) => child.exited));
    const clean = codes.every((code) => code === 0);
    log(clean ? "info" : "error", "stopped", { signal, workers: count, exitCodes: codes });
    process.exit(clean ? 0 : 1);
  };
  process.on("SIGTERM", () => void stopAll("SIGTERM"));
  process.on("SIGINT", () => void stopAll("SIGINT"));

  for (const slot of slots) start(slot);
}
