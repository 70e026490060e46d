// The benchmark entry point: seeds a scratch database, runs the scenarios, writes bench/RESULTS.md.
//
//   bun run bench [all|http|hold|fanout|catchup] [--quick] [--users 1000000 --matches 100000 --messages 50]
//                 [--duration 10] [--connections 64,256] [--processes 2] [--pool 10] [--sockets 100000]
//                 [--fanout-matches 10000] [--rate 5000,1000] [--typing-rate 1] [--pace 0.5] [--reuse] [--keep] [--no-write]
//
// Everything runs on this machine against 127.0.0.0/8: PostgreSQL (DATABASE_URL's server, default
// postgres://postgres@127.0.0.1:5432/postgres, used to create the scratch database mm_bench),
// Redis (REDIS_URL, default redis://127.0.0.1:6379, keys under a fresh prefix per run).
// `--quick` is a small scale for checking the harness; the defaults are the issue's full scale.
import { join } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { catchUpAfterCut, catchUpSection } from "./catch-up";
import { type HttpRow, httpScenarios, httpTable, type Kind, SCENARIOS } from "./http";
import { databaseUrl, fmt, loadLine, machine, run, SECRET, say, utcStamp, writeSection } from "./lib";
import { type FanoutResult, fanout, fanoutSection, holdSection, holdSockets } from "./sockets";

const { values, positionals } = parseArgs({
  args: Bun.argv.slice(2),
  allowPositionals: true,
  options: {
    quick: { type: "boolean", default: false },
    users: { type: "string" },
    matches: { type: "string" },
    messages: { type: "string" },
    duration: { type: "string" },
    connections: { type: "string" },
    processes: { type: "string" },
    pool: { type: "string" },
    "http-users": { type: "string" },
    kinds: { type: "string" },
    sockets: { type: "string" },
    "fanout-matches": { type: "string" },
    rate: { type: "string" },
    "typing-rate": { type: "string" },
    "fanout-seconds": { type: "string" },
    pace: { type: "string" },
    reuse: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    "no-write": { type: "boolean", default: false },
    label: { type: "string" },
    "server-root": { type: "string" },
    db: { type: "string" },
  },
});
const scenario = positionals[0] ?? "all";
if (!["all", "http", "hold", "fanout", "catchup", "seed"].includes(scenario)) {
  console.error("usage: bun run bench [all|http|hold|fanout|catchup|seed] [--quick] (see bench/run.ts)");
  process.exit(2);
}
const quick = values.quick;
const num = (raw: string | undefined, full: number, small: number) =>
  raw === undefined ? (quick ? small : full) : Number(raw);
const scale = {
  users: num(values.users, 1_000_000, 20_000),
  matches: num(values.matches, 100_000, 4_000),
  messages: num(values.messages, 50, 50),
};
const durationSeconds = num(values.duration, 10, 3);
const connections = (values.connections ?? "64,256").split(",").map(Number);
const processes = num(values.processes, 2, 2);
const poolSize = num(values.pool, 10, 10);
const httpUsers = num(values["http-users"], 4096, 512);
const kinds = (values.kinds?.split(",") ?? SCENARIOS.map((s) => s.kind)) as Kind[];
const sockets = num(values.sockets, 100_000, 4_000);
const fanoutMatches = num(values["fanout-matches"], 10_000, 1_000);
const messageRates = (values.rate ?? (quick ? "500" : "5000,1000")).split(",").map(Number);
const typingPerSocket = num(values["typing-rate"], 1, 1);
const fanoutSeconds = num(values["fanout-seconds"], 20, 5);
const pace = num(values.pace, 0.5, 0.5);

/** The checkout whose server is measured: this one, or another (e.g. a tree "before" a change). */
const serverRoot = values["server-root"] ?? join(import.meta.dir, "..");

const ADMIN_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const SCRATCH = values.db ?? "mm_bench";
const DB_URL = databaseUrl(ADMIN_URL, SCRATCH);
const RESULTS = join(import.meta.dir, "RESULTS.md");
const command = `bun run bench ${Bun.argv
  .slice(2)
  .map((a) => (/\s/.test(a) ? `"${a}"` : a))
  .join(" ")}`.trim();

/**
 * The seed command: the compiled binary's `seed` when `bun run build` succeeds, else the same
 * command through `bun src/main.ts seed` when main.ts has it, else `bun src/cli/seed.ts`.
 */
async function seedCommand(): Promise<string[]> {
  const build = await run(["bun", "run", "build"]);
  if (build.code === 0 && (await Bun.file("dist/mystery-match").exists())) return ["dist/mystery-match", "seed"];
  say("bun run build failed; seeding from source");
  const main = await Bun.file("src/main.ts").text();
  if (/["']seed["']/.test(main)) return ["bun", "src/main.ts", "seed"];
  return ["bun", "src/cli/seed.ts"];
}

async function prepareDatabase(): Promise<{ seedLine: string; seedSeconds: number }> {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    if (values.reuse) {
      const [exists] = await admin.unsafe(`SELECT 1 FROM pg_database WHERE datname = '${SCRATCH}'`);
      if (exists) {
        const db = postgres(DB_URL, { max: 1, onnotice: () => {} });
        const [row] = await db.unsafe("SELECT (SELECT count(*) FROM users) AS users");
        const [meta] = await db
          .unsafe("SELECT seed, seconds, at FROM bench_seed ORDER BY at DESC LIMIT 1")
          .catch(() => [undefined]);
        if (Number(row?.users) > 0) await db.unsafe("VACUUM (ANALYZE)");
        await db.end();
        if (Number(row?.users) > 0) {
          const earlier = meta ? `, seeded ${utcStamp(new Date(meta.at))} by ${meta.seed}` : "";
          return { seedLine: `(reused ${SCRATCH}${earlier})`, seedSeconds: meta ? Number(meta.seconds) : 0 };
        }
      }
    }
    await admin.unsafe(`DROP DATABASE IF EXISTS ${SCRATCH} WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE ${SCRATCH}`);
  } finally {
    await admin.end();
  }
  const seed = [
    ...(await seedCommand()),
    "--users",
    String(scale.users),
    "--matches",
    String(scale.matches),
    "--messages",
    String(scale.messages),
  ];
  say(`seeding: ${seed.join(" ")}`);
  const began = performance.now();
  const result = await run(seed, { DATABASE_URL: DB_URL, JWT_SECRET: SECRET, LOG_REQUESTS: "0" });
  if (result.code !== 0) throw new Error(`seed failed: ${result.stderr}${result.stdout}`);
  say(result.stdout.trim().split("\n").at(-1));
  const seedLine = `\`${seed.join(" ")}\``;
  const seedSeconds = (performance.now() - began) / 1000;
  const db = postgres(DB_URL, { max: 1, onnotice: () => {} });
  // Remembered in the scratch database, so a later --reuse can say how it was seeded.
  await db.unsafe("CREATE TABLE bench_seed (seed text, seconds float8, at timestamptz DEFAULT now())");
  await db.unsafe("INSERT INTO bench_seed (seed, seconds) VALUES ($1, $2)", [seedLine, seedSeconds]);
  await db.unsafe("VACUUM (ANALYZE)");
  await db.end();
  return { seedLine, seedSeconds };
}

async function header(seedLine: string, seedSeconds: number): Promise<string> {
  const db = postgres(DB_URL, { max: 1, onnotice: () => {} });
  const [v] = await db.unsafe("SELECT split_part(version(), ',', 1) AS v, current_setting('shared_buffers') AS sb");
  const [c] = await db.unsafe(
    `SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM matches WHERE is_active AND expires_at > now()) AS active,
            (SELECT count(*) FROM messages) AS messages`,
  );
  await db.end();
  return [
    `- Date: ${utcStamp()}; ${await loadLine()} when the section was written`,
    `- Machine: ${await machine(`${v?.v} (shared_buffers ${v?.sb})`)}`,
    `- Command: \`${command}\``,
    `- Data: ${fmt(Number(c?.users))} users, ${fmt(Number(c?.active))} active matches, ${fmt(Number(c?.messages))} messages; ` +
      `seeded by ${seedLine}${seedSeconds ? ` in ${seedSeconds.toFixed(0)} s` : ""}, then \`VACUUM (ANALYZE)\``,
  ].join("\n");
}

function write(title: string, body: string) {
  if (values["no-write"]) {
    console.log(`## ${title}\n\n${body}\n`);
    return;
  }
  writeSection(RESULTS, title, body);
  say(`wrote "${title}" to bench/RESULTS.md`);
}

const startedAt = utcStamp();
say(`started ${startedAt}, ${await loadLine()}`);
const { seedLine, seedSeconds } = await prepareDatabase();
try {
  if (scenario === "all" || scenario === "http") {
    const rows: HttpRow[] = await httpScenarios({
      adminUrl: ADMIN_URL,
      dbUrl: DB_URL,
      durationSeconds,
      connections,
      processes,
      poolSize,
      users: httpUsers,
      redisUrl: REDIS_URL,
      kinds,
      serverRoot,
      pace,
    });
    write(
      `HTTP scenarios${values.label ? ` (${values.label})` : ""}`,
      `${await header(seedLine, seedSeconds)}
- Server: ${processes} × \`bun src/main.ts\`${values["server-root"] ? ` of ${serverRoot}` : ""} (one port each, Redis between them), DB_POOL_SIZE=${poolSize},
  rate limits and request logging off;
  load: ${Bun.which("oha") ? "oha" : "wrk"}, one process per server port with the connections split evenly, ${durationSeconds} s per run
  after a 2 s warm-up; ${httpUsers} users per scenario with tokens made up front (users of active matches that hold
  ${scale.messages} messages; premium users for find-match), a different user on every request.
- Ceilings, same run: \`bench/bare-http-server.ts\` (${processes} processes, same load) answering each route with
  the JSON the real server gave for it; \`pgbench -M prepared\` with ${processes * poolSize} clients (= the servers'
  connections) running \`bench/sql/<route>.sql\`, the SQL that route runs, over the same users. Ratio = req/s ÷ the lower.
- Rows "paced to N/s"${pace > 0 ? ` ask for ${pace}× the peak measured at ${connections[0]} connections` : " (none this run)"}: the same connections, each
  pausing after a reply (wrk) or held to a rate (oha's -q), so the latency is that of a busy server, not a saturated one.

${httpTable(rows)}
`,
    );
  }
  if (scenario === "all" || scenario === "hold") {
    const hold = await holdSockets({ dbUrl: DB_URL, redisUrl: REDIS_URL, serverRoot, sockets });
    write("Sockets held across processes", `${await header(seedLine, seedSeconds)}\n${holdSection(hold)}`);
  }
  if (scenario === "all" || scenario === "catchup") {
    const result = await catchUpAfterCut({ dbUrl: DB_URL, redisUrl: REDIS_URL, serverRoot, sockets });
    write(
      `Catch-up after the bus's connections were cut${values.label ? ` (${values.label})` : ""}`,
      `${await header(seedLine, seedSeconds)}\n${catchUpSection(result)}`,
    );
  }
  if (scenario === "all" || scenario === "fanout") {
    const result: FanoutResult = await fanout({
      dbUrl: DB_URL,
      redisUrl: REDIS_URL,
      serverRoot,
      matches: fanoutMatches,
      messageRates,
      typingPerSocket,
      seconds: fanoutSeconds,
    });
    write("Socket fan-out", `${await header(seedLine, seedSeconds)}\n${fanoutSection(result)}`);
  }
} finally {
  if (!values.keep) {
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${SCRATCH} WITH (FORCE)`);
    await admin.end();
  }
}
say(`done (started ${startedAt}, finished ${utcStamp()})`);
