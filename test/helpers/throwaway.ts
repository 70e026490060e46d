// Throwaway servers for fault tests: a PostgreSQL cluster and a redis-server of the test's own, on
// free ports of 127.0.0.1, that a test may stop, start and kill. The shared servers on 5432 and
// 6379 are never touched. Call throwawayServers() at the top level of a test file: its afterAll
// removes everything it started. Should a test process die before that (killed, interrupted), the
// next start of a throwaway server removes what it left behind.
import { afterAll } from "bun:test";
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { finished } from "./child";

const PG_BIN = process.env.TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";
// initdb refuses to run as root, so the cluster belongs to this OS user when we are root.
const PG_OS_USER = "postgres";

export interface ThrowawayPostgres {
  readonly port: number;
  /** Superuser URL of the cluster's `postgres` database (trust auth). */
  readonly url: string;
  /** A clean shutdown (`pg_ctl stop -m fast`): sessions are terminated with 57P01, new ones refused. */
  stop(): Promise<void>;
  /** Starts the stopped cluster again on the same port and waits until it accepts connections. */
  start(): Promise<void>;
  /** A crash (`pg_ctl stop -m immediate`): no checkpoint; the next start recovers from the WAL. */
  kill(): Promise<void>;
  /** Stops the cluster if it runs and deletes its directory. Idempotent. */
  destroy(): Promise<void>;
}

export interface ThrowawayRedis {
  readonly port: number;
  readonly url: string;
  /** SIGTERM and wait for the exit (no persistence, so nothing is saved). */
  stop(): Promise<void>;
  /** Starts a fresh redis-server on the same port and waits until it answers PING. */
  start(): Promise<void>;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
  /** Stops it if it runs and deletes its directory. Idempotent. */
  destroy(): Promise<void>;
}

export interface ThrowawayServers {
  postgres(): Promise<ThrowawayPostgres>;
  /** `args`: more redis-server flags (e.g. a TLS port beside the plain one). */
  redis(args?: readonly string[]): Promise<ThrowawayRedis>;
}

/** The kernel's ephemeral port range: ports it hands to outgoing connections. */
function ephemeralPorts(): [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {}
  return [32768, 60999];
}

/**
 * A free port on 127.0.0.1 below the ephemeral range. A stopped server restarts on its port, and
 * a port in the ephemeral range may meanwhile have become the local end of some outgoing
 * connection, which makes the restart fail with "address already in use".
 */
export function freePort(): number {
  const [ephemeralLow] = ephemeralPorts();
  const low = 20_000;
  const high = Math.max(low + 1000, ephemeralLow - 1);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    try {
      const listener = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
      listener.stop(true);
      return port;
    } catch {}
  }
  throw new Error(`no free port found between ${low} and ${high}`);
}

const isRoot = () => process.getuid?.() === 0;

/** Runs a command (as the postgres OS user when we are root) and throws with its output if it fails. */
async function run(argv: string[], asPostgres = false): Promise<void> {
  const command = asPostgres && isRoot() ? ["runuser", "-u", PG_OS_USER, "--", ...argv] : argv;
  const { code, stdout, stderr } = await finished(
    Bun.spawn(command, { stdout: "pipe", stderr: "pipe", stdin: "ignore" }),
  );
  if (code !== 0) throw new Error(`${argv.join(" ")} exited with ${code}\n${stdout}\n${stderr}`);
}

/** The uid (`-u`) or gid (`-g`) of the postgres OS user. */
function idOf(flag: "-u" | "-g"): number {
  const result = Bun.spawnSync(["id", flag, PG_OS_USER]);
  if (!result.success) throw new Error(`no OS user ${PG_OS_USER}: initdb cannot run as root`);
  return Number(result.stdout.toString().trim());
}

const postmasterPid = (dataDir: string) => pidIn(join(dataDir, "postmaster.pid"));

function pidIn(file: string): number | null {
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, "utf8").split("\n")[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const OWNER_FILE = "owner.pid";
const REDIS_PID_FILE = "redis.pid";
const REDIS_PORT_FILE = "redis.port";

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {}
}

/** A fresh directory for one server, marked with this process as its owner. */
function serverRoot(kind: "pg" | "redis"): string {
  removeOrphans();
  const root = mkdtempSync(join(tmpdir(), `mm-throwaway-${kind}-`));
  writeFileSync(join(root, OWNER_FILE), String(process.pid));
  return root;
}

/** Stops the servers of test processes that died before their afterAll, and deletes their directories. */
function removeOrphans(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!/^mm-throwaway-(pg|redis)-/.test(name) || name.startsWith("mm-throwaway-pg-template")) continue;
    const root = join(tmpdir(), name);
    const owner = pidIn(join(root, OWNER_FILE));
    if (owner === null || alive(owner)) continue;
    const postmaster = pidIn(join(root, "data", "postmaster.pid"));
    const redis = pidIn(join(root, REDIS_PID_FILE));
    // Only a process that is still that server: a pid may have been reused since.
    if (postmaster !== null && commandLine(postmaster).includes(root)) kill(postmaster);
    if (redis !== null && commandLine(redis).startsWith("redis-server")) {
      const port = readFileSync(join(root, REDIS_PORT_FILE), "utf8").trim();
      if (commandLine(redis).includes(`:${port}`)) kill(redis);
    }
    rmSync(root, { recursive: true, force: true });
  }
}

let template: Promise<string> | null = null;

/**
 * A cluster directory made by initdb and never started, to copy: much faster than an initdb per
 * cluster. Kept in the temp directory across runs, per PostgreSQL version, like a cache.
 */
function clusterTemplate(): Promise<string> {
  template ??= (async () => {
    const version = Bun.spawnSync([`${PG_BIN}/postgres`, "--version"]).stdout.toString();
    const key = version.match(/\d+(\.\d+)*/)?.[0] ?? "unknown";
    const final = join(tmpdir(), `mm-throwaway-pg-template-${key}`);
    if (existsSync(join(final, "data", "PG_VERSION"))) return join(final, "data");
    const partial = mkdtempSync(join(tmpdir(), `mm-throwaway-pg-template-${key}-partial-`));
    if (isRoot()) chownSync(partial, idOf("-u"), idOf("-g"));
    try {
      const data = join(partial, "data");
      await run([`${PG_BIN}/initdb`, "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"], true);
      // Another test process may have made it meanwhile: then keep theirs.
      if (!existsSync(final)) renameSync(partial, final);
    } finally {
      rmSync(partial, { recursive: true, force: true });
    }
    return join(final, "data");
  })();
  return template;
}

async function startPostgres(): Promise<ThrowawayPostgres> {
  const root = serverRoot("pg");
  if (isRoot()) chownSync(root, idOf("-u"), idOf("-g"));
  const dataDir = join(root, "data");
  const logFile = join(root, "postgres.log");
  const port = freePort();
  const remove = () => {
    const pid = postmasterPid(dataDir);
    if (pid !== null && commandLine(pid).includes(root)) kill(pid);
    rmSync(root, { recursive: true, force: true });
  };

  const pgCtl = (...args: string[]) => run([`${PG_BIN}/pg_ctl`, "-D", dataDir, ...args], true);
  // fsync=off: only processes die in these tests, never the machine, so the OS keeps every write.
  const options = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${root}`,
    "-c fsync=off",
    "-c full_page_writes=off",
    "-c max_connections=100",
  ].join(" ");
  const start = () =>
    pgCtl("-l", logFile, "-w", "-t", "30", "-o", options, "start").catch((error) => {
      const log = existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-2000) : "(no log)";
      throw new Error(`${(error as Error).message}\n${log}`);
    });
  const shutdown = (mode: "fast" | "immediate") => pgCtl("-m", mode, "-w", "-t", "30", "stop");

  try {
    await run(["cp", "-a", await clusterTemplate(), dataDir], true);
    await start();
  } catch (error) {
    remove();
    throw error;
  }

  let destroyed = false;
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => shutdown("fast"),
    start,
    kill: () => shutdown("immediate"),
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      // A crashed or half-stopped cluster may refuse pg_ctl; remove() then kills what is left.
      if (postmasterPid(dataDir) !== null) await shutdown("immediate").catch(() => {});
      remove();
    },
  };
}

/** Resolves once something on `port` answers a Redis PING. */
async function waitForPong(port: number, child: Subprocess, logFile: string, timeoutMs = 10_000): Promise<void> {
  const log = () => (existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-2000) : "(no log)");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}:\n${log()}`);
    const answered = await new Promise<boolean>((resolve) => {
      let reply = "";
      Bun.connect({
        hostname: "127.0.0.1",
        port,
        socket: {
          open(socket) {
            socket.write("PING\r\n");
          },
          data(socket, chunk) {
            reply += chunk.toString();
            if (reply.includes("\r\n")) {
              // Before end(): ending runs the close handler at once.
              resolve(reply.startsWith("+PONG"));
              socket.end();
            }
          },
          close: () => resolve(false),
          error: () => resolve(false),
          connectError: () => resolve(false),
        },
      }).catch(() => resolve(false));
    });
    if (answered) return;
    await Bun.sleep(50);
  }
  throw new Error(`redis-server on ${port} did not answer within ${timeoutMs} ms:\n${log()}`);
}

async function startRedis(args: readonly string[]): Promise<ThrowawayRedis> {
  const dir = serverRoot("redis");
  const port = freePort();
  let child: Subprocess<"ignore", "ignore", "ignore"> | null = null;
  const remove = () => {
    child?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };

  const start = async () => {
    if (child && child.exitCode === null) throw new Error("redis-server is already running");
    child = Bun.spawn(
      [
        "redis-server",
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
        "--protected-mode",
        "no",
        "--daemonize",
        "no",
        "--logfile",
        join(dir, "redis.log"),
        ...args,
      ],
      { stdin: "ignore", stdout: "ignore", stderr: "ignore" },
    );
    writeFileSync(join(dir, REDIS_PID_FILE), String(child.pid));
    writeFileSync(join(dir, REDIS_PORT_FILE), String(port));
    await waitForPong(port, child, join(dir, "redis.log"));
  };
  const signal = async (name: "SIGTERM" | "SIGKILL") => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(name);
    await child.exited;
  };

  try {
    await start();
  } catch (error) {
    remove();
    throw error;
  }

  let destroyed = false;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: () => signal("SIGTERM"),
    start,
    kill: () => signal("SIGKILL"),
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await signal("SIGKILL");
      remove();
    },
  };
}

/**
 * Call at the top level of a test file. Servers started through it are destroyed in afterAll,
 * whatever the tests did to them.
 */
export function throwawayServers(): ThrowawayServers {
  const started: Array<{ destroy(): Promise<void> }> = [];
  afterAll(async () => {
    const results = await Promise.allSettled(started.map((server) => server.destroy()));
    started.length = 0;
    const failed = results.find((result) => result.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }, 60_000);
  return {
    async postgres() {
      const server = await startPostgres();
      started.push(server);
      return server;
    },
    async redis(args = []) {
      const server = await startRedis(args);
      started.push(server);
      return server;
    },
  };
}
