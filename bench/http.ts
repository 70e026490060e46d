// HTTP scenarios against the real server, each beside its two ceilings measured in the same run:
// a bare Bun.serve answering the same JSON (bench/bare-http-server.ts) and pgbench -M prepared
// running the endpoint's own SQL (bench/sql/*.sql). Called by bench/run.ts.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { signToken } from "../src/modules/auth/jwt";
import { bunCommand, cpuMs, fmt, run, SECRET, type Started, say, startListening, stop } from "./lib";

export type Kind = "stats" | "my-matches" | "chat" | "send" | "find";

export const SCENARIOS: Array<{ kind: Kind; title: string; sql: string; route: string }> = [
  { kind: "stats", title: "GET stats", sql: "stats.sql", route: "GET /api/mystery/stats/:user_id" },
  { kind: "my-matches", title: "GET my-matches", sql: "my-matches.sql", route: "GET /api/mystery/my-matches/:user_id" },
  { kind: "chat", title: "GET chat (page of 50)", sql: "chat.sql", route: "GET /api/mystery/chat/:match_id?limit=50" },
  { kind: "send", title: "POST send-message", sql: "send-message.sql", route: "POST /api/mystery/send-message" },
  { kind: "find", title: "POST find-match (premium)", sql: "find-match.sql", route: "POST /api/mystery/find-match" },
];

export interface HttpOptions {
  adminUrl: string;
  dbUrl: string;
  durationSeconds: number;
  connections: number[];
  /** Server processes (each with its own port and wrk process; one Redis between them). */
  processes: number;
  poolSize: number;
  /** Users (tokens) per scenario. */
  users: number;
  redisUrl: string;
  kinds: Kind[];
  /** Extra environment for the server (e.g. an experiment's switch). */
  serverEnv?: Record<string, string>;
  /** The checkout whose src/main.ts is served (another tree measures "before" a change). */
  serverRoot: string;
  /**
   * After the peak runs, one run at the first connection count paced to this fraction of the
   * peak measured there: the latency of a server that is busy but not saturated. 0: no such run.
   */
  pace: number;
}

export interface Measured {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  /** CPU time per request, in microseconds, of the server processes and of their PostgreSQL backends. */
  cpuServerUs?: number;
  cpuPgUs?: number;
}

export interface HttpRow {
  kind: Kind;
  title: string;
  connections: number;
  /** The rate asked for in a paced run (requests/s); absent for a peak run. */
  pacedRate?: number;
  server: Measured;
  bare: Measured;
  /** bench/bare-db-server.ts: Bun.serve + postgres.js running the route's SQL, nothing of ours. */
  floor: Measured;
  pg: Measured;
}

interface Fixture {
  /** "user match token" lines: users of active matches with 50 messages, or premium users (match 0). */
  pairsFile: string;
  premiumFile: string;
  pairs: Array<[number, number]>;
  premium: number[];
}

const MATCH_BITS = 2 ** 20;

async function fixture(dir: string, dbUrl: string, count: number): Promise<Fixture> {
  const db = postgres(dbUrl, { max: 1, onnotice: () => {} });
  // Users whose match stays open through the run; neither side banned, so every request is a 200.
  const pairs = (
    await db.unsafe(
      `SELECT m.user_a AS "user", m.id AS match FROM matches m
         JOIN users a ON a.id = m.user_a JOIN users b ON b.id = m.user_b
        WHERE m.is_active AND m.expires_at > now() + interval '2 hours'
          AND a.ban_until IS NULL AND b.ban_until IS NULL AND a.age IS NOT NULL
        ORDER BY random() LIMIT ${count}`,
    )
  ).map((r) => [Number(r.user), Number(r.match)] as [number, number]);
  const premium = (
    await db.unsafe(
      `SELECT id FROM users WHERE premium_until > now() + interval '1 day' AND ban_until IS NULL AND age IS NOT NULL
        ORDER BY random() LIMIT ${count}`,
    )
  ).map((r) => Number(r.id));
  await db.end();
  if (pairs.length === 0 || premium.length === 0)
    throw new Error("the database has no active matches or premium users");
  const line = (user: number, match: number) => `${user} ${match} ${signToken(SECRET, user, 24 * 3600)}`;
  const pairsFile = join(dir, "pairs.txt");
  const premiumFile = join(dir, "premium.txt");
  writeFileSync(pairsFile, `${pairs.map(([u, m]) => line(u, m)).join("\n")}\n`);
  writeFileSync(premiumFile, `${premium.map((u) => line(u, 0)).join("\n")}\n`);
  return { pairsFile, premiumFile, pairs, premium };
}

/**
 * pgbench lines that set :u and :m to one entry of `values` (u * 2^20 + m), drawn at random per
 * transaction: a balanced CASE tree, so the list is the run's own users without a lookup query.
 */
function pickLines(values: number[]): string {
  const tree = (lo: number, hi: number): string => {
    if (hi - lo === 1) return String(values[lo]);
    const mid = (lo + hi) >> 1;
    return `(case when :i < ${mid} then ${tree(lo, mid)} else ${tree(mid, hi)} end)`;
  };
  return [
    `\\set i random(0, ${values.length - 1})`,
    `\\set x ${tree(0, values.length)}`,
    `\\set u :x / ${MATCH_BITS}`,
    `\\set m :x % ${MATCH_BITS}`,
    "",
  ].join("\n");
}

function parsePgbench(stdout: string, logs: string[]): Measured {
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1] ?? Number.NaN);
  const failed = Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0);
  const aborted = /aborted/.test(stdout) ? 1 : 0;
  const latencies: number[] = [];
  for (const text of logs) {
    for (const line of text.split("\n")) {
      const us = Number(line.split(" ")[2]);
      if (Number.isFinite(us) && line) latencies.push(us / 1000);
    }
  }
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? Number.NaN;
  return { rps: tps, p50: at(0.5), p99: at(0.99), requests: latencies.length, errors: failed + aborted };
}

async function pgbench(dir: string, kind: Kind, dbUrl: string, fx: Fixture, clients: number, seconds: number) {
  const scenario = SCENARIOS.find((s) => s.kind === kind)!;
  const sql = readFileSync(join(import.meta.dir, "sql", scenario.sql), "utf8");
  const values = kind === "find" ? fx.premium.map((u) => u * MATCH_BITS) : fx.pairs.map(([u, m]) => u * MATCH_BITS + m);
  const script = join(dir, `pg-${kind}.sql`);
  writeFileSync(script, pickLines(values) + sql);
  const now = new Date();
  const prefix = join(dir, `pglog-${kind}-${Date.now()}`);
  // PostgreSQL's CPU per transaction: the pgbench backends' CPU between 1 s in and 1 s before the end.
  const sampled = sampleBackendCpu(dbUrl, seconds);
  const { stdout, stderr, code } = await run(
    [
      "pgbench",
      "-n",
      "-M",
      "prepared",
      "-c",
      String(clients),
      "-j",
      String(Math.min(clients, 2)),
      "-T",
      String(seconds),
      "-l",
      `--log-prefix=${prefix}`,
      "-D",
      `now=${now.toISOString()}`,
      "-D",
      `day=${now.toISOString().slice(0, 10)}`,
      "-D",
      `expires=${new Date(now.getTime() + 48 * 3600_000).toISOString()}`,
      "-f",
      script,
      dbUrl,
    ],
    {},
    dir,
  );
  if (code !== 0 && !/tps =/.test(stdout)) throw new Error(`pgbench ${kind} failed: ${stderr}`);
  const logs = [...new Bun.Glob(`${prefix.split("/").pop()}*`).scanSync(dir)].map((f) =>
    readFileSync(join(dir, f), "utf8"),
  );
  const measured = parsePgbench(stdout, logs);
  const { cpuMs: pgCpu, seconds: window } = await sampled;
  measured.cpuPgUs = (pgCpu * 1000) / Math.max(1, measured.rps * window);
  if (measured.errors > 0) say(`pgbench ${kind}: ${stderr.split("\n").slice(-3).join(" | ")}`);
  return measured;
}

interface WrkOut {
  requests: number;
  duration_us: number;
  errors: Record<string, number>;
  quantiles_us: number[];
}

/** One load run: a load process per server, connections split evenly; results merged. */
/**
 * Load on every server URL at once. Without `rate`, each connection sends its next request as soon
 * as the reply arrives (the server's peak). With `rate` (requests/s over all connections), the
 * load is paced: oha's `-q`, or for wrk a pause after each reply of connections ÷ rate seconds per
 * connection (so the rate reached is a little below the one asked for; the measured one is reported).
 */
async function load(
  kind: Kind,
  urls: string[],
  connections: number,
  seconds: number,
  fx: Fixture,
  rate?: number,
): Promise<Measured> {
  const file = kind === "find" ? fx.premiumFile : fx.pairsFile;
  const per = Math.max(1, Math.round(connections / urls.length));
  const ratePerProcess = rate === undefined ? undefined : rate / urls.length;
  if (Bun.which("oha")) return ohaLoad(kind, urls, per, seconds, file, ratePerProcess);
  const pauseMs = ratePerProcess === undefined ? 0 : (per * 1000) / ratePerProcess;
  const nonce = `w${Date.now().toString(36)}`;
  const outs = await Promise.all(
    urls.map(async (url, i) => {
      const { stdout, stderr } = await run([
        "wrk",
        "-t",
        "1",
        "-c",
        String(per),
        "-d",
        `${seconds}s`,
        "--timeout",
        "10s",
        "--latency",
        "-s",
        join(import.meta.dir, "wrk.lua"),
        url,
        "--",
        kind,
        file,
        `${nonce}${i}`,
        String(pauseMs),
      ]);
      const line = stdout.split("\n").find((l) => l.startsWith('{"wrk"'));
      if (!line) throw new Error(`wrk printed no result: ${stdout} ${stderr}`);
      const out = JSON.parse(line) as WrkOut;
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
      return { out, non2xx };
    }),
  );
  // Merge: every process's 1000 quantiles stand for equal shares of its requests.
  const points: Array<[number, number]> = [];
  for (const { out } of outs) for (const q of out.quantiles_us) points.push([q / 1000, out.requests / 1000]);
  points.sort((a, b) => a[0] - b[0]);
  const total = points.reduce((sum, [, w]) => sum + w, 0);
  const at = (p: number) => {
    let seen = 0;
    for (const [ms, w] of points) {
      seen += w;
      if (seen >= total * p) return ms;
    }
    return points.at(-1)?.[0] ?? Number.NaN;
  };
  const requests = outs.reduce((sum, { out }) => sum + out.requests, 0);
  const rps = outs.reduce((sum, { out }) => sum + out.requests / (out.duration_us / 1e6), 0);
  const errors = outs.reduce(
    (sum, { out, non2xx }) =>
      sum + non2xx + out.errors.connect! + out.errors.read! + out.errors.write! + out.errors.timeout!,
    0,
  );
  return { rps, p50: at(0.5), p99: at(0.99), requests, errors };
}

/**
 * oha, when installed: one process per server, one user each (oha sends one fixed request), so
 * send-message goes without client_msg_id. Percentiles: the mean of the processes' (unweighted).
 */
async function ohaLoad(
  kind: Kind,
  urls: string[],
  per: number,
  seconds: number,
  file: string,
  rate: number | undefined,
): Promise<Measured> {
  const users = readFileSync(file, "utf8").trim().split("\n");
  const outs = await Promise.all(
    urls.map(async (url, i) => {
      const [user, match, token] = users[i % users.length]!.split(" ") as [string, string, string];
      const path = {
        stats: `/api/mystery/stats/${user}`,
        "my-matches": `/api/mystery/my-matches/${user}`,
        chat: `/api/mystery/chat/${match}?limit=50`,
        send: "/api/mystery/send-message",
        find: "/api/mystery/find-match",
      }[kind];
      const post = kind === "send" || kind === "find";
      const body = kind === "send" ? `{"match_id":${match},"message_text":"bench message"}` : "{}";
      const { stdout } = await run([
        "oha",
        "--no-tui",
        "--output-format",
        "json",
        "-c",
        String(per),
        "-z",
        `${seconds}s`,
        ...(rate === undefined ? [] : ["-q", String(rate)]),
        "-H",
        `authorization: Bearer ${token}`,
        ...(post ? ["-m", "POST", "-H", "content-type: application/json", "-d", body] : []),
        `${url}${path}`,
      ]);
      return JSON.parse(stdout) as {
        summary: { requestsPerSec: number; total: number };
        latencyPercentiles: { p50: number; p99: number };
        statusCodeDistribution: Record<string, number>;
      };
    }),
  );
  const mean = (f: (o: (typeof outs)[0]) => number) => outs.reduce((s, o) => s + f(o), 0) / outs.length;
  const requests = outs.reduce((s, o) => s + Object.values(o.statusCodeDistribution).reduce((a, b) => a + b, 0), 0);
  const ok = outs.reduce((s, o) => s + (o.statusCodeDistribution["200"] ?? 0), 0);
  return {
    rps: outs.reduce((s, o) => s + o.summary.requestsPerSec, 0),
    p50: mean((o) => o.latencyPercentiles.p50 * 1000),
    p99: mean((o) => o.latencyPercentiles.p99 * 1000),
    requests,
    errors: requests - ok,
  };
}

/** One request per kind to the real server: the bodies the bare server will answer with. */
async function captureBodies(url: string, fx: Fixture): Promise<Record<Kind, string>> {
  const [user, match] = fx.pairs[0]!;
  const premium = fx.premium[0]!;
  const auth = (u: number) => ({
    authorization: `Bearer ${signToken(SECRET, u, 3600)}`,
    "content-type": "application/json",
  });
  const get = async (path: string, u: number, body?: string) => {
    const response = await fetch(`${url}${path}`, { method: body ? "POST" : "GET", headers: auth(u), body });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${text}`);
    return text;
  };
  return {
    stats: await get(`/api/mystery/stats/${user}`, user),
    "my-matches": await get(`/api/mystery/my-matches/${user}`, user),
    chat: await get(`/api/mystery/chat/${match}?limit=50`, user),
    send: await get(
      "/api/mystery/send-message",
      user,
      JSON.stringify({ match_id: match, message_text: "bench message" }),
    ),
    find: await get("/api/mystery/find-match", premium, "{}"),
  };
}

export function serverEnv(dbUrl: string, poolSize: number, redisUrl: string, prefix: string): Record<string, string> {
  return {
    LOG_REQUESTS: "0",
    DATABASE_URL: dbUrl,
    JWT_SECRET: SECRET,
    PORT: "0",
    HOST: "127.0.0.1",
    DB_POOL_SIZE: String(poolSize),
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    RATE_LIMIT_SENDS_PER_MINUTE: "0",
    RATE_LIMIT_FIND_MATCH_PER_MINUTE: "0",
    RATE_LIMIT_AUTH_PER_MINUTE: "0",
  };
}

/** CPU used by the scratch database's backends from 1 s after now to 1 s before `seconds` have passed. */
async function sampleBackendCpu(dbUrl: string, seconds: number): Promise<{ cpuMs: number; seconds: number }> {
  await Bun.sleep(1000);
  const pids = await backendPids(dbUrl);
  const before = pids.map(cpuMs);
  const began = performance.now();
  await Bun.sleep(Math.max(1000, (seconds - 2) * 1000));
  const used = pids.reduce((sum, pid, i) => sum + Math.max(0, cpuMs(pid) - before[i]!), 0);
  return { cpuMs: used, seconds: (performance.now() - began) / 1000 };
}

/** The PostgreSQL backends serving the scratch database (the servers' pooled connections). */
async function backendPids(dbUrl: string): Promise<number[]> {
  const db = postgres(dbUrl, { max: 1, onnotice: () => {} });
  const rows = await db.unsafe(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
  );
  await db.end();
  return rows.map((r) => Number(r.pid));
}

export async function httpScenarios(options: HttpOptions): Promise<HttpRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "mm-bench-http-"));
  say(`http: fixture of ${options.users} users per scenario`);
  const fx = await fixture(dir, options.dbUrl, options.users);
  const prefix = `mm-bench-${Date.now().toString(36)}`;
  const env = { ...serverEnv(options.dbUrl, options.poolSize, options.redisUrl, prefix), ...options.serverEnv };
  const servers: Started[] = [];
  const bares: Started[] = [];
  const floors: Started[] = [];
  const rows: HttpRow[] = [];
  try {
    const main = join(options.serverRoot, "src/main.ts");
    for (let i = 0; i < options.processes; i++) servers.push(await startListening(bunCommand(main), env));
    const bodiesFile = join(dir, "bodies.json");
    writeFileSync(bodiesFile, JSON.stringify(await captureBodies(servers[0]!.url, fx)));
    for (let i = 0; i < options.processes; i++) {
      bares.push(
        await startListening(["bun", join(import.meta.dir, "bare-http-server.ts")], { BARE_BODIES: bodiesFile }),
      );
    }
    for (let i = 0; i < options.processes; i++) {
      floors.push(
        await startListening(["bun", join(import.meta.dir, "bare-db-server.ts")], {
          DATABASE_URL: options.dbUrl,
          POOL: String(options.poolSize),
        }),
      );
    }
    const serverUrls = servers.map((s) => s.url);
    const bareUrls = bares.map((s) => s.url);
    const floorUrls = floors.map((s) => s.url);
    const dbClients = options.processes * options.poolSize;
    for (const kind of options.kinds) {
      const scenario = SCENARIOS.find((s) => s.kind === kind)!;
      say(`http: ${scenario.title}: pgbench with ${dbClients} clients`);
      const pg = await pgbench(dir, kind, options.dbUrl, fx, dbClients, options.durationSeconds);
      say(`http: ${scenario.title}: warm-up`);
      await load(kind, serverUrls, options.connections[0]!, 2, fx);
      await load(kind, floorUrls, options.connections[0]!, 2, fx);
      for (const connections of options.connections) {
        const bare = await load(kind, bareUrls, connections, options.durationSeconds, fx);
        const floor = await load(kind, floorUrls, connections, options.durationSeconds, fx);
        const pids = [...servers.map((s) => s.child.pid), ...(await backendPids(options.dbUrl))];
        const cpuBefore = pids.map(cpuMs);
        const server = await load(kind, serverUrls, connections, options.durationSeconds, fx);
        const used = pids.map((pid, i) => cpuMs(pid) - cpuBefore[i]!);
        const serverMs = used.slice(0, servers.length).reduce((a, b) => a + b, 0);
        const pgMs = used.slice(servers.length).reduce((a, b) => a + b, 0);
        server.cpuServerUs = (serverMs * 1000) / Math.max(1, server.requests);
        server.cpuPgUs = (pgMs * 1000) / Math.max(1, server.requests);
        say(
          `http: ${scenario.title} c=${connections}: server ${fmt(server.rps)}/s p50 ${fmt(server.p50, 2)} p99 ${fmt(server.p99, 2)}` +
            ` (errors ${server.errors}); bare ${fmt(bare.rps)}/s; Bun.serve + postgres.js ${fmt(floor.rps)}/s` +
            ` (errors ${floor.errors}); pgbench ${fmt(pg.rps)}/s`,
        );
        rows.push({ kind, title: scenario.title, connections, server, bare, floor, pg });
      }
      if (options.pace > 0) {
        const peak = rows.find((r) => r.kind === kind && r.connections === options.connections[0])!;
        const connections = peak.connections;
        const pacedRate = Math.max(1, Math.round(peak.server.rps * options.pace));
        const server = await load(kind, serverUrls, connections, options.durationSeconds, fx, pacedRate);
        say(
          `http: ${scenario.title} c=${connections} paced to ${fmt(pacedRate)}/s: ${fmt(server.rps)}/s` +
            ` p50 ${fmt(server.p50, 2)} p99 ${fmt(server.p99, 2)} (errors ${server.errors})`,
        );
        rows.push({ ...peak, pacedRate, server });
      }
    }
  } finally {
    await Promise.all([...servers, ...bares, ...floors].map((s) => stop(s.child)));
  }
  return rows;
}

export function httpTable(rows: HttpRow[]): string {
  const lines = [
    "| scenario | conns | req/s | p50 ms | p99 ms | errors | CPU µs/req server + PostgreSQL | bare Bun.serve req/s | pgbench tps (p50/p99 ms; PostgreSQL CPU µs/tx) | lower ceiling | ratio | Bun.serve + postgres.js, same SQL: req/s (÷ lower ceiling) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    if (r.pacedRate !== undefined) {
      lines.push(
        `| ${r.title} | ${r.connections}, paced to ${fmt(r.pacedRate)}/s | ${fmt(r.server.rps)} | ${fmt(r.server.p50, 2)} | ` +
          `${fmt(r.server.p99, 2)} | ${r.server.errors} | | | | | | |`,
      );
      continue;
    }
    const lower = Math.min(r.bare.rps, r.pg.rps);
    const which = lower === r.pg.rps ? "pgbench" : "bare";
    lines.push(
      `| ${r.title} | ${r.connections} | ${fmt(r.server.rps)} | ${fmt(r.server.p50, 2)} | ${fmt(r.server.p99, 2)} | ${r.server.errors} | ` +
        `${fmt(r.server.cpuServerUs ?? Number.NaN)} + ${fmt(r.server.cpuPgUs ?? Number.NaN)} | ` +
        `${fmt(r.bare.rps)} | ${fmt(r.pg.rps)} (${fmt(r.pg.p50, 2)}/${fmt(r.pg.p99, 2)}; ${fmt(r.pg.cpuPgUs ?? Number.NaN)} µs)${r.pg.errors ? ` ⚠ ${r.pg.errors} failed` : ""} | ` +
        `${which} | ${(r.server.rps / lower).toFixed(2)}× | ` +
        `${fmt(r.floor.rps)} (${(r.floor.rps / lower).toFixed(2)}×)${r.floor.errors ? ` ⚠ ${r.floor.errors} errors` : ""} |`,
    );
  }
  return lines.join("\n");
}
