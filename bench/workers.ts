// `serve --workers 2` against one process on one HTTP scenario (issue 19): wrk with bench/wrk.lua,
// GET /api/mystery/my-matches/<user> as a different user every request, alternating the two setups.
//
//   bun bench/workers.ts [--users 2000] [--duration 15] [--connections 64] [--rounds 2] [--no-write]
//
// A fresh scratch database mm_bench_workers on DATABASE_URL's server (default the local one), seeded
// with `seed`; the events go through PostgreSQL LISTEN/NOTIFY between the workers (no REDIS_URL).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { signToken } from "../src/modules/auth/jwt";
import {
  cpuMs,
  databaseUrl,
  fmt,
  loadLine,
  machine,
  run,
  SECRET,
  type Started,
  say,
  startListening,
  stop,
  utcStamp,
  writeSection,
} from "./lib";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    users: { type: "string", default: "2000" },
    duration: { type: "string", default: "15" },
    connections: { type: "string", default: "64" },
    rounds: { type: "string", default: "2" },
    "no-write": { type: "boolean", default: false },
  },
});
const ROOT = join(import.meta.dir, "..");
const ADMIN_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const DB_URL = databaseUrl(ADMIN_URL, "mm_bench_workers");

const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
await admin.unsafe("DROP DATABASE IF EXISTS mm_bench_workers WITH (FORCE)");
await admin.unsafe("CREATE DATABASE mm_bench_workers");
const pgVersion = (await admin`SHOW server_version`)[0]!.server_version as string;
await admin.end();

const env = {
  DATABASE_URL: DB_URL,
  JWT_SECRET: SECRET,
  LOG_REQUESTS: "0",
  SWEEP_INTERVAL_SECONDS: "3600",
  DB_POOL_SIZE: "10",
  HOST: "127.0.0.1",
  PORT: "0",
};
say("seeding");
const seeded = await run(
  [
    "bun",
    "src/main.ts",
    "seed",
    "--users",
    values.users,
    "--matches",
    String(Number(values.users) / 2),
    "--messages",
    "5",
  ],
  env,
  ROOT,
);
if (seeded.code !== 0) throw new Error(seeded.stderr);

const db = postgres(DB_URL, { max: 1 });
const rows = await db`SELECT user_a AS user, id AS match FROM matches ORDER BY id`;
await db.end();
const dir = mkdtempSync(join(tmpdir(), "mm-bench-workers-"));
const usersFile = join(dir, "users.txt");
writeFileSync(
  usersFile,
  `${rows.map((r) => `${r.user} ${r.match} ${signToken(SECRET, Number(r.user), 6 * 3600)}`).join("\n")}\n`,
);

interface Row {
  setup: string;
  round: number;
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  serverCpuMs: number;
}

/** CPU ms of a process and its children (the workers), from /proc. */
function treeCpuMs(pid: number): number {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {}
  return cpuMs(pid) + children.reduce((sum, child) => sum + cpuMs(child), 0);
}

async function measure(setup: "one process" | "--workers 2", round: number): Promise<Row> {
  const args = setup === "one process" ? ["serve"] : ["serve", "--workers", "2"];
  const server: Started = await startListening(["bun", join(ROOT, "src/main.ts"), ...args], env);
  try {
    // Warm-up, not recorded.
    await run([
      "wrk",
      "-t2",
      `-c${values.connections}`,
      "-d3s",
      "-s",
      join(import.meta.dir, "wrk.lua"),
      server.url,
      "--",
      "my-matches",
      usersFile,
    ]);
    const before = treeCpuMs(server.child.pid);
    const result = await run([
      "wrk",
      "-t2",
      `-c${values.connections}`,
      `-d${values.duration}s`,
      "--latency",
      "-s",
      join(import.meta.dir, "wrk.lua"),
      server.url,
      "--",
      "my-matches",
      usersFile,
    ]);
    const serverCpuMs = treeCpuMs(server.child.pid) - before;
    const line = result.stdout.split("\n").find((l) => l.startsWith('{"wrk"'));
    if (!line) throw new Error(`wrk said: ${result.stdout}${result.stderr}`);
    const parsed = JSON.parse(line) as {
      requests: number;
      duration_us: number;
      errors: Record<string, number>;
      quantiles_us: number[];
    };
    const row = {
      setup,
      round,
      requests: parsed.requests,
      perSecond: parsed.requests / (parsed.duration_us / 1e6),
      p50: parsed.quantiles_us[499]! / 1000,
      p99: parsed.quantiles_us[989]! / 1000,
      errors: Object.values(parsed.errors).reduce((a, b) => a + b, 0),
      serverCpuMs,
    };
    say(
      `${setup} round ${round}: ${fmt(row.perSecond)}/s, p50 ${fmt(row.p50, 1)} ms, p99 ${fmt(row.p99, 1)} ms, errors ${row.errors}, server CPU ${serverCpuMs} ms`,
    );
    return row;
  } finally {
    await stop(server.child);
  }
}

const results: Row[] = [];
for (let round = 1; round <= Number(values.rounds); round++) {
  results.push(await measure("one process", round));
  results.push(await measure("--workers 2", round));
}
const mean = (setup: string) => {
  const mine = results.filter((r) => r.setup === setup);
  return mine.reduce((sum, r) => sum + r.perSecond, 0) / mine.length;
};
const body = `- ${utcStamp()}; ${await machine(pgVersion)}; ${await loadLine()} at the end (the machine is shared by several engineers: their tests ran meanwhile).
- Command: \`bun bench/workers.ts --users ${values.users} --duration ${values.duration} --connections ${values.connections} --rounds ${values.rounds}\`
- \`bun src/main.ts serve\` against \`serve --workers 2\` (LISTEN/NOTIFY bus, presence and limits in the parent) on a
  fresh database seeded with \`seed --users ${values.users} --matches ${Number(values.users) / 2} --messages 5\`; wrk (2 threads, ${values.connections}
  connections, bench/wrk.lua) on \`GET /api/mystery/my-matches/<user>\`, a different user per request, ${values.duration} s per round
  after 3 s of warm-up, the two setups alternating. wrk and PostgreSQL share the same 2 cores.

| setup | round | requests/s | p50 ms | p99 ms | errors | server CPU per request |
| --- | --- | --- | --- | --- | --- | --- |
${results.map((r) => `| ${r.setup} | ${r.round} | ${fmt(r.perSecond)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${r.errors} | ${fmt((r.serverCpuMs * 1000) / Math.max(1, r.requests), 0)} µs |`).join("\n")}

Mean requests/s, \`--workers 2\` to one process: ${fmt(mean("--workers 2") / mean("one process"), 2)}×.
`;
if (!values["no-write"])
  writeSection(join(import.meta.dir, "RESULTS.md"), "serve --workers 2 against one process (issue 19)", body);
console.log(body);
const cleanup = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
await cleanup.unsafe("DROP DATABASE IF EXISTS mm_bench_workers WITH (FORCE)");
await cleanup.end();
process.exit(0);
