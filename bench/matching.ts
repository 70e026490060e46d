// Matching (issue 18), measured: the pick's latency at 64 connections on 1M users, how often the partner
// was active in the last 24 h against the random pick of before (drizzle/0001's find_match) on the same
// data, the pool's pairing latency across two server processes, and the pick's plans (EXPLAIN ANALYZE).
//
//   bun bench/matching.ts [--users 1000000] [--seconds 10] [--connections 64] [--pairs 200] [--reuse] [--keep] [--no-write]
//
// The scratch database (mm_matching on DATABASE_URL's server) is migrated by the app and seeded in SQL
// (generate_series): ids 1..1% online now (active within the last 2 minutes), the next 1% active today,
// the next 3% active within 14 days, the rest inactive for 15..300 days or never. Callers are drawn from
// the active 5% (people who open the app), with the daily limit lifted so that none is refused.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { signToken } from "../src/modules/auth/jwt";
import {
  databaseUrl,
  fmt,
  machine,
  percentile,
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
    users: { type: "string", default: "1000000" },
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "64" },
    pairs: { type: "string", default: "200" },
    pace: { type: "string", default: "0.5" },
    reuse: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    "no-write": { type: "boolean", default: false },
  },
});
const USERS = Number(values.users);
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const PAIRS = Number(values.pairs);
/** The paced run's rate, as a share of the new pick's peak. */
const PACE = Number(values.pace);
const ACTIVE = Math.round(USERS * 0.05);
const ONLINE = Math.round(USERS * 0.01);
const TODAY = Math.round(USERS * 0.02);
const ADMIN_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const SCRATCH = "mm_matching";
const DB_URL = databaseUrl(ADMIN_URL, SCRATCH);
const ROOT = join(import.meta.dir, "..");
const command = `bun bench/matching.ts ${Bun.argv.slice(2).join(" ")}`.trim();

const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
const exists = (await admin`SELECT 1 FROM pg_database WHERE datname = ${SCRATCH}`).length > 0;
if (exists && !values.reuse) await admin.unsafe(`DROP DATABASE ${SCRATCH} WITH (FORCE)`);
if (!exists || !values.reuse) await admin.unsafe(`CREATE DATABASE ${SCRATCH}`);
await admin.end();

const migrated = await run(["bun", "src/main.ts", "migrate"], { DATABASE_URL: DB_URL, JWT_SECRET: SECRET }, ROOT);
if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);
const db = postgres(DB_URL, { max: CONNECTIONS, onnotice: () => {} });

const INTERESTS = [
  "music",
  "travel",
  "movies",
  "books",
  "hiking",
  "cooking",
  "gaming",
  "art",
  "photography",
  "yoga",
  "running",
  "cycling",
  "dancing",
  "football",
  "cricket",
  "chess",
  "jazz",
  "rock",
  "coffee",
  "tea",
  "cats",
  "dogs",
  "anime",
  "fashion",
  "tech",
  "science",
  "history",
  "poetry",
  "theatre",
  "swimming",
  "surfing",
  "climbing",
  "camping",
  "gardening",
  "baking",
  "wine",
  "startups",
  "languages",
  "meditation",
  "karaoke",
];
const CITIES = ["Mumbai", "Delhi", "Bengaluru", "Lisbon", "Porto", "Berlin", "Paris", "Oslo", "Madrid", "Rome"];

let seedSeconds = 0;
if ((await db`SELECT count(*)::int AS n FROM users`)[0]!.n === 0) {
  say(`seeding ${USERS} users`);
  const began = performance.now();
  // One statement; each row's random choices reference g, so they are drawn per row.
  await db.unsafe(
    `INSERT INTO users (id, gender, age, city, interests, looking_for, age_min, age_max, created_at,
                        profile_created_at, updated_at, last_active_at)
     SELECT g, s.gender, s.age, s.city, s.interests,
            CASE WHEN s.gender = 'other' OR s.r1 < 0.35 THEN '{male,female,other}'::text[]
                 WHEN s.gender = 'male' THEN '{female}'::text[] ELSE '{male}'::text[] END,
            CASE WHEN s.r2 < 0.7 THEN 18 ELSE greatest(18, s.age - 8) END,
            CASE WHEN s.r2 < 0.7 THEN 100 ELSE least(100, s.age + 12) END,
            now() - interval '400 days', now() - interval '400 days', now() - interval '400 days',
            CASE WHEN g <= ${ONLINE} THEN now() - random() * interval '2 minutes'
                 WHEN g <= ${TODAY} THEN now() - interval '4 minutes' - random() * interval '23 hours'
                 WHEN g <= ${ACTIVE} THEN now() - interval '1 day' - random() * interval '13 days'
                 WHEN s.r3 < 0.5 THEN NULL
                 ELSE now() - interval '15 days' - random() * interval '285 days' END
     FROM generate_series(1, ${USERS}) AS g
     CROSS JOIN LATERAL (
       SELECT CASE WHEN random() < 0.48 THEN 'male' WHEN random() < 0.92 THEN 'female' ELSE 'other' END AS gender,
              18 + floor(random() * 62)::int + 0 * g AS age,
              (ARRAY[${CITIES.map((c) => `'${c}'`).join(",")}])[1 + floor(random() * ${CITIES.length})::int] AS city,
              ARRAY(SELECT DISTINCT (ARRAY[${INTERESTS.map((c) => `'${c}'`).join(",")}])[1 + floor(random() * ${INTERESTS.length})::int]
                    FROM generate_series(1, (g % 6))) AS interests,
              random() AS r1, random() AS r2, random() AS r3
     ) AS s`,
  );
  say("matches and blocks among the active users");
  await db.unsafe(
    `INSERT INTO matches (user_a, user_b, created_at, expires_at)
     SELECT a, b, now() - interval '3 days', now() - interval '1 day'
     FROM (SELECT 1 + floor(random() * ${ACTIVE})::bigint AS a, 1 + floor(random() * ${ACTIVE})::bigint AS b
           FROM generate_series(1, ${Math.round(ACTIVE * 0.4)})) p
     WHERE a <> b ON CONFLICT DO NOTHING`,
  );
  await db.unsafe(
    `INSERT INTO blocks (blocker_id, blocked_id, created_at)
     SELECT a, b, now() FROM (SELECT 1 + floor(random() * ${ACTIVE})::bigint AS a, 1 + floor(random() * ${USERS})::bigint AS b
                             FROM generate_series(1, 10000)) p
     WHERE a <> b ON CONFLICT DO NOTHING`,
  );
  await db.unsafe("VACUUM (ANALYZE) users, matches, blocks");
  seedSeconds = (performance.now() - began) / 1000;
  say(`seeded in ${fmt(seedSeconds, 1)} s`);
}

// Today's random pick (drizzle/0001's find_match, before this issue), kept beside the new one under another name.
const before = readFileSync(join(ROOT, "drizzle/0001_find_match.sql"), "utf8").replace(
  "CREATE FUNCTION find_match(",
  "CREATE OR REPLACE FUNCTION find_match_random(",
);
await db.unsafe(before);

const day = () => new Date().toISOString().slice(0, 10);
const iso = (ms: number) => new Date(ms).toISOString();
// The app's constants (src/modules/matches/service.ts); $1.. are caller, day, now, the three tier starts, random, expiry.
const NEW_PICK = `SELECT id FROM find_match($1, $2, $3, 1000000, 18, 100, NULL, NULL, $4, $5, $6, $7, 5000, 16, $8, 3, NULL, NULL)`;
const OLD_PICK = `SELECT id FROM find_match_random($1, $2, $3, 1000000, 18, 100, NULL, NULL, $4, 10000, $5, 3)`;

/** A pick's parameters, for a random active caller, now. */
function pickParams(query: string): unknown[] {
  const now = Date.now();
  const caller = 1 + Math.floor(Math.random() * ACTIVE);
  const expires = iso(now + 48 * 3600_000);
  if (query === OLD_PICK) return [caller, day(), iso(now), Math.random(), expires];
  const tiers = [iso(now - 3 * 60_000), iso(now - 24 * 3600_000), iso(now - 14 * 24 * 3600_000)];
  return [caller, day(), iso(now), ...tiers, Math.random(), expires];
}

interface PickRun {
  label: string;
  picks: number;
  refused: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  /** Share of partners active in the last 24 h (and online now), read right after the run. */
  today: number;
  online: number;
}

/**
 * Picks from CONNECTIONS connections for SECONDS: as fast as they go (rate 0), or paced to `rate` picks
 * a second in all, each pick's latency then counted from when it was due (waiting for a free
 * connection included).
 */
async function measurePicks(label: string, query: string, rate = 0): Promise<PickRun> {
  const latencies: number[] = [];
  const partners: number[] = [];
  let refused = 0;
  let firstError = "";
  const started = performance.now();
  const end = started + SECONDS * 1000;
  let next = 0;
  const worker = async () => {
    for (;;) {
      let due = performance.now();
      if (rate > 0) {
        due = started + (next++ * 1000) / rate;
        if (due >= end) return;
        if (due > performance.now()) await Bun.sleep(due - performance.now());
      } else if (due >= end) return;
      try {
        const [row] = await db.unsafe(query, pickParams(query) as never[], { prepare: true });
        latencies.push(performance.now() - due);
        if (row) partners.push(Number(row.id));
      } catch (error) {
        refused++;
        firstError ||= String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  if (firstError) say(`${label}: ${refused} failed, e.g. ${firstError}`);
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const [share] = await db.unsafe(
    `SELECT avg((last_active_at > now() - interval '24 hours')::int)::float8 AS today,
            avg((last_active_at > now() - interval '3 minutes')::int)::float8 AS online
     FROM unnest($1::bigint[]) AS p(id) JOIN users u ON u.id = p.id`,
    [partners],
  );
  return {
    label,
    picks: latencies.length,
    refused,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: latencies.at(-1) ?? Number.NaN,
    today: Number(share?.today ?? 0),
    online: Number(share?.online ?? 0),
  };
}

say(`warming up, then ${SECONDS} s of picks at ${CONNECTIONS} connections, each pick`);
await measurePicks("warm-up", NEW_PICK);
const newPick = await measurePicks("new pick, as fast as it goes", NEW_PICK);
const oldPick = await measurePicks("today's random pick (drizzle/0001, same data), as fast as it goes", OLD_PICK);
const PACED = Math.max(50, Math.round((newPick.rps * PACE) / 50) * 50);
const pacedPick = await measurePicks(`new pick, paced to ${fmt(PACED)}/s`, NEW_PICK, PACED);

// EXPLAIN ANALYZE of the pick's statements inside find_match, through auto_explain (nested statements).
async function explainPick(): Promise<string> {
  const notices: string[] = [];
  const one = postgres(DB_URL, { max: 1, onnotice: (notice) => notices.push(String(notice.message)) });
  await one.unsafe("LOAD 'auto_explain'");
  await one.unsafe(
    "SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on; SET auto_explain.log_buffers = on; " +
      "SET auto_explain.log_nested_statements = on; SET auto_explain.log_level = notice; SET auto_explain.log_timing = on",
  );
  // Twice: the first call of a session also plans the function's statements.
  await one.unsafe(NEW_PICK, pickParams(NEW_PICK) as never[]);
  notices.length = 0;
  await one.unsafe(NEW_PICK, pickParams(NEW_PICK) as never[]);
  await one.end();
  // The walk of a tier (the statement reading users_active_idx) is the one worth reading.
  return notices.filter((text) => text.includes("users_active_idx") || text.includes("match_pool")).join("\n\n");
}
const explained = await explainPick();

// The pool: pairs of searchers who fit only each other (age 100, wanting 100, which nobody seeded is),
// the first on server one, the second on server two; both processes share the database and a Redis.
async function measurePool(): Promise<{ second: number[]; both: number[] }> {
  const base = 5_000_000;
  await db.unsafe(
    `INSERT INTO users (id, gender, age, looking_for, age_min, age_max)
     SELECT g, 'other', 100, '{male,female,other}', 100, 100 FROM generate_series(${base + 1}, ${base + 2 * PAIRS}) g
     ON CONFLICT (id) DO UPDATE SET ban_until = NULL`,
  );
  await db.unsafe(`DELETE FROM matches WHERE user_a > ${base} OR user_b > ${base}`);
  await db.unsafe(`DELETE FROM daily_match_counts WHERE user_id > ${base}`);
  const env = {
    DATABASE_URL: DB_URL,
    JWT_SECRET: SECRET,
    REDIS_URL,
    REDIS_PREFIX: `mm-bench-pool-${Date.now().toString(36)}`,
    RATE_LIMIT_FIND_MATCH_PER_MINUTE: "0",
    LOG_REQUESTS: "0",
    PORT: "0",
    HOST: "127.0.0.1",
  };
  const servers: Started[] = await Promise.all([
    startListening(["bun", "src/main.ts"], env),
    startListening(["bun", "src/main.ts"], env),
  ]);
  const find = (server: Started, user: number) =>
    fetch(`${server.url}/api/mystery/find-match`, {
      method: "POST",
      headers: { authorization: `Bearer ${signToken(SECRET, user, 600)}`, "content-type": "application/json" },
      body: JSON.stringify({ wait_seconds: 10 }),
    });
  const second: number[] = [];
  const both: number[] = [];
  try {
    for (let i = 0; i < PAIRS; i++) {
      const [a, b] = [base + 1 + 2 * i, base + 2 + 2 * i];
      const waiting = find(servers[0]!, a);
      while ((await db`SELECT 1 FROM match_pool WHERE user_id = ${a} AND match_id IS NULL`).length === 0) {
        await Bun.sleep(2);
      }
      const began = performance.now();
      const arriving = find(servers[1]!, b).then((r) => ({ status: r.status, at: performance.now() }));
      const [one, two] = await Promise.all([
        waiting.then((r) => ({ status: r.status, at: performance.now() })),
        arriving,
      ]);
      if (one.status !== 200 || two.status !== 200) throw new Error(`pair ${i}: ${one.status} / ${two.status}`);
      second.push(two.at - began);
      both.push(Math.max(one.at, two.at) - began);
      // Matched now; out of everyone's way for the next pairs.
      await db`UPDATE users SET ban_until = now() + interval '1 day' WHERE id IN (${a}, ${b})`;
    }
  } finally {
    await Promise.all(servers.map((server) => stop(server.child)));
  }
  return { second: second.sort((x, y) => x - y), both: both.sort((x, y) => x - y) };
}
say(`pool: ${PAIRS} pairs across two server processes`);
const pool = await measurePool();

const [version] = await db`SELECT current_setting('server_version') AS v, current_setting('shared_buffers') AS sb`;
const host = await machine(`${version?.v} (shared_buffers ${version?.sb})`);
const [counts] = await db`SELECT count(*)::int AS users,
  count(*) FILTER (WHERE last_active_at > now() - interval '14 days')::int AS active
  FROM users WHERE id <= ${USERS}`;
await db.end();

const pct = (x: number) => `${fmt(100 * x, 1)} %`;
const row = (r: PickRun) =>
  `| ${r.label} | ${fmt(r.picks)} | ${fmt(r.rps)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.max, 1)} | ${pct(r.today)} | ${pct(r.online)} |`;
const body = `Run ${utcStamp()} on ${host}, shared with other engineers' work (load varies). Command:
\`${command}\`${seedSeconds ? ` (seed: ${fmt(seedSeconds, 1)} s in SQL)` : " (--reuse: seed kept from an earlier run)"}.

Data: ${fmt(counts!.users)} users, ${fmt(counts!.active)} active in the last 14 days (${pct(counts!.active / counts!.users)}),
1 % online (active within 2 minutes), 2 % within 24 h; ~${fmt(Math.round(ACTIVE * 0.4))} old matches and 10,000
blocks among the active users; 35 % of profiles want everyone, the rest the opposite gender; 30 % narrow the
age range. Callers: random active users, daily limit lifted. Each pick is one \`find_match\` call over a
connection of ${CONNECTIONS} (postgres.js, prepared, the client on the same two cores), ${SECONDS} s each, after
a ${SECONDS} s warm-up: as fast as the connections go, then paced to ${PACE} of that peak (latency counted from
when each pick was due). Partners' activity read after each run.

| pick | picks | picks/s | p50 ms | p99 ms | max ms | partner active in last 24 h | partner online |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${row(newPick)}
${row(pacedPick)}
${row(oldPick)}

Target: p99 < 25 ms at 64 connections; ≥ 95 % of partners active in the last 24 h (today's pick: about
the share of such users, 2 %).

**Pool pairing** (${PAIRS} pairs, one after another; the first searcher waits on server process one, the
second arrives on process two; PostgreSQL and Redis shared), from the second searcher's request:

| | p50 ms | p99 ms | max ms |
| --- | ---: | ---: | ---: |
| second searcher's reply | ${fmt(percentile(pool.second, 0.5), 1)} | ${fmt(percentile(pool.second, 0.99), 1)} | ${fmt(pool.second.at(-1) ?? Number.NaN, 1)} |
| both replies (the first woken through the Redis bus) | ${fmt(percentile(pool.both, 0.5), 1)} | ${fmt(percentile(pool.both, 0.99), 1)} | ${fmt(pool.both.at(-1) ?? Number.NaN, 1)} |

Target: p99 < 50 ms.

**EXPLAIN ANALYZE** of the statements inside one \`find_match\` call (auto_explain, nested statements;
the pool's look and the first tier's walk on \`users_active_idx\`):

\`\`\`
${explained}
\`\`\`
`;
console.log(body);
if (!values["no-write"]) writeSection(join(import.meta.dir, "RESULTS.md"), "Matching on 1M users (issue 18)", body);
if (!values.keep) {
  const cleanup = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await cleanup.unsafe(`DROP DATABASE IF EXISTS ${SCRATCH} WITH (FORCE)`);
  await cleanup.end();
}
