// `npm start` as a person runs it (issue 13, item 11): stopping npm stops the server it started,
// whether npm is sent SIGTERM, the terminal's Ctrl-C reaches the whole job, or npm is killed outright.
// npm runs the start script through `sh -c`; a shell that stays between npm and the server does not
// pass npm's signals on, so the server used to live on after npm was gone.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JWT_SECRET } from "../helpers/app";
import { descendants, isServer, type LoggedChild, spawnLogged, started } from "../helpers/child";

const SLOW = 180_000;
const NPM = Bun.which("npm");
if (!NPM) console.warn("npm is not installed: the `npm start` tests are skipped");

// A data directory per test, so that a server a test leaves behind holds up no other test.
const dirs: string[] = [];
// Every server process the tests saw, ended by its pid in afterAll if a test left it running.
const servers = new Set<number>();
afterAll(() => {
  for (const pid of servers) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Rejects after `ms`: a deadline for an event that does not come when the bug is there. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** `npm start` in a process group of its own, once the server it started listens; and that server's pid. */
async function npmStart(): Promise<{ npm: LoggedChild; server: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), "mm-npm-start-test-"));
  dirs.push(dataDir);
  const npm = spawnLogged(
    { DATA_DIR: dataDir, DATABASE_URL: "", JWT_SECRET, PORT: "0", HOST: "127.0.0.1", npm_config_loglevel: "silent" },
    { command: [NPM!, "start"], detached: true },
  );
  const outcome = await started(npm);
  if (!("listening" in outcome)) throw new Error(`npm start exited ${outcome.exitCode}: ${outcome.stderr}`);
  const server = descendants(npm.process.pid).find(isServer);
  if (server === undefined) throw new Error("no server process below npm");
  servers.add(server);
  return { npm, server };
}

/** The server's log lines from "shutting down" on, once it has stopped and every holder of its stdout is gone. */
async function shutdownLines(npm: LoggedChild): Promise<any[]> {
  await within(20_000, npm.ended, "the server did not stop");
  const lines = npm.lines.slice(npm.lines.findIndex((line) => line.msg === "shutting down"));
  return lines.map(({ msg, signal }) => ({ msg, signal }));
}

describe.skipIf(!NPM)("npm start", () => {
  test(
    "SIGTERM to npm reaches the server: it shuts down gracefully and npm exits 0",
    async () => {
      const { npm } = await npmStart();
      npm.process.kill("SIGTERM");
      expect(await shutdownLines(npm)).toEqual([
        { msg: "shutting down", signal: "SIGTERM" },
        { msg: "stopped", signal: "SIGTERM" },
      ]);
      expect(await npm.process.exited).toBe(0);
    },
    SLOW,
  );

  test(
    "Ctrl-C (SIGINT to the whole job, npm and the server) is one graceful shutdown, not two signals",
    async () => {
      const { npm } = await npmStart();
      // What a terminal does on Ctrl-C: SIGINT to every process of the foreground process group.
      process.kill(-npm.process.pid, "SIGINT");
      expect(await shutdownLines(npm)).toEqual([
        { msg: "shutting down", signal: "SIGINT" },
        { msg: "stopped", signal: "SIGINT" },
      ]);
      expect(await npm.process.exited).toBe(0);
    },
    SLOW,
  );

  test(
    "npm killed outright (SIGKILL passes nothing on): the server notices its parent is gone and stops",
    async () => {
      const { npm, server } = await npmStart();
      npm.process.kill("SIGKILL");
      expect(await shutdownLines(npm)).toEqual([
        { msg: "shutting down", signal: "parent exited" },
        { msg: "stopped", signal: "parent exited" },
      ]);
      expect(isServer(server)).toBe(false);
    },
    SLOW,
  );
});
