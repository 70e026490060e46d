// What a start of the real server process decides (issue 13, items 10 and 11): the embedded default
// HOST, when the demo sign-in is on and how the start-up output says so, a too short ADMIN_TOKEN,
// and a port that is already in use.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { DEMO_ON, startupBanner } from "../../src/cli/serve";
import { JWT_SECRET } from "../helpers/app";
import { descendants, isServer, type LoggedChild, MAIN, spawnLogged, started } from "../helpers/child";

// The children run on embedded databases of their own (initdb on first start: slow on a busy machine).
const SLOW = 180_000;
const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "mm-start-test-"));
  dirs.push(dir);
  return dir;
};
let dataDir: string;
beforeAll(() => {
  dataDir = freshDir();
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The server on the embedded database in `dir`; HOST and DEMO blank (unset) unless `env` sets them. */
const embedded = (env: Record<string, string>, dir = dataDir) =>
  spawnLogged({ DATA_DIR: dir, DATABASE_URL: "", JWT_SECRET, PORT: "0", HOST: "", DEMO: "", ADMIN_TOKEN: "", ...env });

async function listening(child: LoggedChild): Promise<any> {
  const outcome = await started(child);
  if (!("listening" in outcome)) throw new Error(`exited ${outcome.exitCode}: ${outcome.stderr}`);
  return outcome.listening;
}

async function stop(child: LoggedChild): Promise<number> {
  child.process.kill("SIGTERM");
  return child.process.exited;
}

const demoToken = (base: string) =>
  fetch(`${base}/api/demo/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_id: 42 }),
  }).then((response) => response.status);

/** An address of this machine that is not a loopback one, if it has any. */
const outwardAddress = Object.values(networkInterfaces())
  .flat()
  .find((entry) => entry && entry.family === "IPv4" && !entry.internal)?.address;

test(
  "with a DATA_DIR of its own and no JWT_SECRET, the token hint names that directory, and its command works",
  async () => {
    const dir = freshDir();
    // Started as `bun src/main.ts`, not by a package manager: the hint is then the command this test runs,
    // whether the suite itself runs under `bun run test` or `npm test` (whose user agent children inherit).
    const child = embedded({ JWT_SECRET: "", npm_config_user_agent: "" }, dir);
    try {
      const line = await listening(child);
      expect(line.token).toEndWith(`token <user_id> --data-dir ${dir}`);
      // As a person would type it, in a shell without DATA_DIR: signed with the secret generated in `dir`.
      const made = Bun.spawnSync([process.execPath, MAIN, "token", "42", "--data-dir", dir], {
        env: { ...process.env, DATA_DIR: "", JWT_SECRET: "", DATABASE_URL: "" },
      });
      const token = made.stdout.toString().trim();
      const profile = await fetch(`${line.url}/api/mystery/profile`, { headers: { authorization: `Bearer ${token}` } });
      expect(profile.status).toBe(404);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  },
  SLOW,
);

test(
  "without HOST the embedded database listens on 127.0.0.1 only, with the demo sign-in on, and says so in words",
  async () => {
    const child = embedded({});
    try {
      const line = await listening(child);
      const { port } = new URL(line.url);
      expect(line.url).toBe(`http://127.0.0.1:${port}`);
      expect(line.page).toBe(`http://127.0.0.1:${port}/`);
      expect(line.demo).toMatch(/^on: anyone who can reach this server can sign in as any user id/);
      expect(await demoToken(line.url)).toBe(200);
      if (outwardAddress) {
        // Not reachable from another interface.
        const refused = await fetch(`http://${outwardAddress}:${port}/health`).then(
          () => false,
          () => true,
        );
        expect(refused).toBe(true);
      }
    } finally {
      expect(await stop(child)).toBe(0);
    }
  },
  SLOW,
);

test(
  "HOST=0.0.0.0 on the embedded database: no demo sign-in, and the start-up line claims none",
  async () => {
    const child = embedded({ HOST: "0.0.0.0" });
    try {
      const line = await listening(child);
      const local = line.url.replace("0.0.0.0", "127.0.0.1");
      // The page's address to open, not the wildcard it listens on.
      expect(line.page).toBe(`${line.url.replace("0.0.0.0", "localhost")}/`);
      expect(line.demo).toBeUndefined();
      expect(await demoToken(local)).toBe(404);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  },
  SLOW,
);

test(
  "HOST=0.0.0.0 with DEMO=1: the demo sign-in is on, and the start-up line says so",
  async () => {
    const child = embedded({ HOST: "0.0.0.0", DEMO: "1" });
    try {
      const line = await listening(child);
      expect(line.demo).toMatch(/^on: /);
      expect(await demoToken(line.url.replace("0.0.0.0", "127.0.0.1"))).toBe(200);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  },
  SLOW,
);

test(
  "an ADMIN_TOKEN shorter than 32 characters stops the start with one line naming it",
  async () => {
    const outcome = await started(embedded({ ADMIN_TOKEN: "x".repeat(31) }));
    expect(outcome).toEqual({
      exitCode: 1,
      stderr: "config error: ADMIN_TOKEN must be at least 32 characters long\n",
    });
  },
  SLOW,
);

test(
  "a second server on a port already in use stops with one line saying so; the first keeps serving",
  async () => {
    const first = embedded({ HOST: "127.0.0.1" });
    try {
      const { port } = new URL((await listening(first)).url);
      // Another data directory: the same one would be refused before the port is tried.
      const second = embedded({ HOST: "127.0.0.1", PORT: port }, freshDir());
      const outcome = await started(second);
      if ("listening" in outcome) await stop(second);
      expect(outcome).toEqual({
        exitCode: 1,
        stderr: `config error: PORT ${port} on 127.0.0.1 is already in use by another process\n`,
      });
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    } finally {
      expect(await stop(first)).toBe(0);
    }
  },
  SLOW,
);

test("the terminal banner has a line saying the demo sign-in is on, in words, only while it is", () => {
  const facts = {
    url: "http://0.0.0.0:3000",
    local: "http://localhost:3000",
    page: "http://localhost:3000/",
    database: "embedded PGlite in /srv/data/pgdata",
    token: { hint: "bun src/main.ts token <user_id>", secretFile: null },
  };
  const on = startupBanner({ ...facts, demo: true });
  expect(on.filter((line) => line.includes("demo"))).toEqual([`  demo       ${DEMO_ON}`]);
  expect(DEMO_ON).toBe(
    "on: anyone who can reach this server can sign in as any user id (POST /api/demo/token); DEMO=0 turns it off",
  );
  expect(startupBanner({ ...facts, demo: false }).some((line) => line.includes("demo"))).toBe(false);
  // The page's address, never 0.0.0.0.
  expect(on.filter((line) => line.includes("web page"))).toEqual(["  web page   http://localhost:3000/"]);
});

const SCRIPT = Bun.which("script");
if (!SCRIPT) console.warn("script(1) is not installed: the banner is not checked on a real terminal");

test.skipIf(!SCRIPT)(
  "on a terminal the start-up banner says that the demo sign-in is on",
  async () => {
    // script(1) runs the server on a pseudo-terminal and copies what it prints to its stdout.
    const tty = spawnLogged(
      { DATA_DIR: dataDir, DATABASE_URL: "", JWT_SECRET, PORT: "0", HOST: "", DEMO: "", ADMIN_TOKEN: "" },
      { command: [SCRIPT!, "-qfec", `bun ${MAIN}`, "/dev/null"] },
    );
    // The banner's last line.
    await tty.printed("  a token    ");
    const server = descendants(tty.process.pid).find(isServer);
    expect(server).toBeDefined();
    try {
      expect(tty.output()).toContain(`\n  demo       ${DEMO_ON}\r\n`);
      // On a terminal the log lines are readable text (LOG_FORMAT=auto), not JSON.
      expect(tty.output()).toMatch(/\d\d:\d\d:\d\d info {2}listening url=http:\/\/127\.0\.0\.1:\d+ /);
    } finally {
      process.kill(server!, "SIGTERM");
      await tty.printed("info  stopped");
      await tty.process.exited;
    }
  },
  SLOW,
);
