// The bus between processes, measured (issue 19): CPU per delivered event at 2 and 4 processes on one
// Redis with per-user channels against the one-channel bus it replaced (baseline in the same run), and
// the LISTEN/NOTIFY bus of `serve --workers` against Redis: delivered/s and latency at fixed rates.
//
//   bun bench/bus.ts [--seconds 15] [--rate 4000] [--users 2000] [--nodes 2,4] [--bus-rates 1000,5000,10000]
//                    [--only cpu|bus] [--scale-rate] [--no-write]
//
// Each node is bench/bus-node.ts (the real LocalDelivery and bus behind a Bun WebSocket server), one
// client process (bench/bus-client.ts) holds one socket per user, user u on node u mod nodes; every
// node publishes rate/nodes events a second, each to a random user, so (nodes-1)/nodes of them cross
// the bus. CPU is utime+stime from /proc of the node processes (and of the bench's own redis-server,
// started here on a free port, so no one else's load is in it). PostgreSQL is DATABASE_URL's server.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cpuMs, fmt, Histogram, loadLine, machine, run as runCommand, say, utcStamp, writeSection } from "./lib";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    seconds: { type: "string", default: "15" },
    rate: { type: "string", default: "4000" },
    users: { type: "string", default: "2000" },
    nodes: { type: "string", default: "2,4" },
    "bus-rates": { type: "string", default: "1000,5000,10000" },
    only: { type: "string" },
    /** The rate grows with the processes (rate × nodes / the first count): the same rate per process. */
    "scale-rate": { type: "boolean", default: false },
    "no-write": { type: "boolean", default: false },
  },
});
const SECONDS = Number(values.seconds);
/** The idle sample, scaled to a round's length. */
const IDLE_SECONDS = 5;
const USERS = Number(values.users);
const DB_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
type Kind = "redis-one" | "redis-user" | "postgres";

interface Child {
  process: Bun.Subprocess<"pipe", "pipe", "inherit">;
  next(): Promise<Record<string, any>>;
}

/** Spawns a bench process whose stdout is JSON lines, read one at a time. */
function spawn(script: string, env: Record<string, string>): Child {
  const child = Bun.spawn(["bun", join(import.meta.dir, script)], {
    env: { ...process.env, ...env },
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return {
    process: child,
    async next() {
      for (;;) {
        const at = buffer.indexOf("\n");
        if (at !== -1) {
          const line = buffer.slice(0, at);
          buffer = buffer.slice(at + 1);
          if (line.startsWith("{")) return JSON.parse(line);
          continue;
        }
        const { done, value } = await reader.read();
        if (done) throw new Error(`${script} exited`);
        buffer += decoder.decode(value);
      }
    },
  };
}

const tell = (child: Child, line: string) => {
  child.process.stdin.write(`${line}\n`);
  child.process.stdin.flush();
};

async function startRedis(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = 20_000 + Math.floor(Math.random() * 10_000);
  const child = Bun.spawn(["redis-server", "--port", String(port), "--save", "", "--appendonly", "no"], {
    stdout: "ignore",
    stderr: "inherit",
  });
  for (let i = 0; i < 100; i++) {
    if ((await runCommand(["redis-cli", "-p", String(port), "ping"])).stdout.trim() === "PONG") break;
    await Bun.sleep(50);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      child.kill();
      await child.exited;
    },
  };
}

interface Row {
  kind: Kind;
  nodes: number;
  rate: number;
  sent: number;
  received: number;
  nodeCpuMs: number;
  /** What the nodes use over as long with nothing published (timers, heartbeats, GC): a cost per process, not per event. */
  idleCpuMs: number;
  redisCpuMs: number;
  p50: number;
  p99: number;
}

async function measure(kind: Kind, nodes: number, rate: number, redis: { url: string; pid: number }): Promise<Row> {
  const prefix = `bench-bus-${kind}-${Date.now().toString(36)}`;
  const env = { BUS: kind, PREFIX: prefix, USERS: String(USERS), REDIS_URL: redis.url, DATABASE_URL: DB_URL };
  const servers = Array.from({ length: nodes }, () => spawn("bus-node.ts", env));
  const urls = await Promise.all(servers.map(async (server) => (await server.next()).url as string));
  const client = spawn("bus-client.ts", { URLS: urls.join(","), USERS: String(USERS) });
  try {
    await client.next();
    const round = async (seconds: number) => {
      for (const server of servers) tell(server, JSON.stringify({ cmd: "publish", rate: rate / nodes, seconds }));
      const done = await Promise.all(servers.map((server) => server.next()));
      // What was published is delivered within this (else it counts as lost).
      await Bun.sleep(1000);
      tell(client, "report");
      const report = await client.next();
      return { sent: done.reduce((sum, d) => sum + d.done, 0), report };
    };
    // Not recorded: warms the JIT and the connections.
    await round(2);
    const idleBefore = servers.map((server) => cpuMs(server.process.pid));
    await Bun.sleep(IDLE_SECONDS * 1000);
    const idleCpuMs =
      (servers.reduce((sum, server, i) => sum + cpuMs(server.process.pid) - idleBefore[i]!, 0) * SECONDS) /
      IDLE_SECONDS;
    const cpuBefore = servers.map((server) => cpuMs(server.process.pid));
    const redisBefore = cpuMs(redis.pid);
    const { sent, report } = await round(SECONDS);
    const nodeCpuMs = servers.reduce((sum, server, i) => sum + cpuMs(server.process.pid) - cpuBefore[i]!, 0);
    const hist = new Histogram();
    hist.merge(report.hist);
    const row = {
      kind,
      nodes,
      rate,
      sent,
      received: report.received as number,
      nodeCpuMs,
      idleCpuMs,
      redisCpuMs: cpuMs(redis.pid) - redisBefore,
      p50: hist.quantile(0.5),
      p99: hist.quantile(0.99),
    };
    say(
      `${kind} × ${nodes} at ${rate}/s: sent ${sent}, received ${row.received}, node CPU ${nodeCpuMs} ms (idle ${Math.round(idleCpuMs)} ms), ` +
        `redis CPU ${row.redisCpuMs} ms, p50 ${row.p50} ms, p99 ${row.p99} ms`,
    );
    return row;
  } finally {
    tell(client, "exit");
    for (const server of servers) tell(server, JSON.stringify({ cmd: "exit" }));
    await Promise.all([client, ...servers].map((child) => child.process.exited));
  }
}

const NAMES: Record<Kind, string> = {
  "redis-one": "Redis, one channel (before)",
  "redis-user": "Redis, per-user channels",
  postgres: "PostgreSQL LISTEN/NOTIFY",
};
const perEvent = (ms: number, received: number) => (received === 0 ? Number.NaN : (ms * 1000) / received);

const firstNodes = Number(values.nodes.split(",")[0]);
const redis = await startRedis();
const cpuRows: Row[] = [];
const busRows: Row[] = [];
try {
  if (values.only !== "bus") {
    for (const nodes of values.nodes.split(",").map(Number)) {
      for (const kind of ["redis-one", "redis-user"] as Kind[]) {
        const rate = values["scale-rate"] ? (Number(values.rate) * nodes) / firstNodes : Number(values.rate);
        cpuRows.push(await measure(kind, nodes, rate, redis));
      }
    }
  }
  if (values.only !== "cpu") {
    for (const rate of values["bus-rates"].split(",").map(Number)) {
      for (const kind of ["redis-user", "postgres"] as Kind[]) busRows.push(await measure(kind, 2, rate, redis));
    }
  }
} finally {
  await redis.stop();
}

const pgVersion = (await runCommand(["psql", DB_URL, "-Atc", "SHOW server_version"])).stdout.trim();
const cpuTable = cpuRows.map(
  (r) =>
    `| ${NAMES[r.kind]} | ${r.nodes} | ${fmt(r.rate)}/s | ${fmt(r.sent)} | ${fmt(r.received)} | ` +
    `${fmt(perEvent(r.nodeCpuMs, r.received), 1)} µs | ${fmt(perEvent(r.nodeCpuMs - r.idleCpuMs, r.received), 1)} µs | ` +
    `${fmt(perEvent(r.redisCpuMs, r.received), 1)} µs | ${fmt(r.p99, 2)} ms |`,
);
/** From the fewest processes to the most: how much the CPU per delivered event grew (gross, or above idle). */
const growth = (kind: Kind, aboveIdle: boolean) => {
  const mine = cpuRows.filter((r) => r.kind === kind);
  const [low, high] = [mine[0], mine.at(-1)];
  const cost = (r: Row) => perEvent(r.nodeCpuMs - (aboveIdle ? r.idleCpuMs : 0), r.received);
  return low && high && low !== high ? cost(high) / cost(low) : Number.NaN;
};
const busTable = busRows.map(
  (r) =>
    `| ${NAMES[r.kind]} | ${fmt(r.rate)}/s | ${fmt(r.sent)} | ${fmt(r.received)} | ${fmt(r.received / SECONDS)} | ` +
    `${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(perEvent(r.nodeCpuMs - r.idleCpuMs, r.received), 1)} µs |`,
);
const nodes = values.nodes.split(",");
const only = `${values.only ? ` --only ${values.only}` : ""}${values["scale-rate"] ? " --scale-rate" : ""}`;
const rateKind = values["scale-rate"] ? "the same rate per process" : "the same total rate";
const common = `- ${utcStamp()}; ${await machine(pgVersion)}; ${await loadLine()} at the end (the machine is shared by several engineers: their tests ran meanwhile).
- Command: \`bun bench/bus.ts --seconds ${SECONDS} --rate ${values.rate} --users ${USERS} --nodes ${values.nodes} --bus-rates ${values["bus-rates"]}${only}\`
- Each node is bench/bus-node.ts: the real LocalDelivery and bus behind a Bun WebSocket server; one client process
  holds ${fmt(USERS)} sockets (user u on node u mod nodes); every node publishes its share of the rate, each event to a
  random user, so (nodes − 1)/nodes of the events cross the bus. A 2 s round runs first and is not recorded, then
  ${IDLE_SECONDS} s with nothing published (the idle CPU, scaled to a round); each recorded round is ${SECONDS} s, then 1 s for the
  last events to arrive. CPU is utime + stime of the node processes (and of the bench's own redis-server) over the
  round, divided by the events delivered to sockets; "above idle" first takes away what the processes use doing nothing.`;
const file = join(import.meta.dir, "RESULTS.md");
if (cpuRows.length > 0) {
  const body = `${common}

| bus | processes | offered | published | delivered | node CPU per delivered event | above idle | Redis CPU per delivered event | p99 |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${cpuTable.join("\n")}

From ${nodes[0]} to ${nodes.at(-1)} processes, node CPU per delivered event grew ${fmt(growth("redis-one", false), 2)}× with one channel and ${fmt(growth("redis-user", false), 2)}× with per-user channels
(above idle: ${fmt(growth("redis-one", true), 2)}× and ${fmt(growth("redis-user", true), 2)}×; the issue's target: flat within 1.25×).
`;
  if (!values["no-write"]) {
    writeSection(
      file,
      `Bus between processes: CPU per delivered event, ${values.nodes} processes, ${rateKind} (issue 19)`,
      body,
    );
  }
  console.log(body);
}
if (busRows.length > 0) {
  const body = `${common}
- PostgreSQL is the shared server the other engineers' tests use too; its CPU is not counted.

| bus (2 processes) | offered | published | delivered | delivered/s | p50 ms | p99 ms | node CPU per delivered event, above idle |
| --- | --- | --- | --- | --- | --- | --- | --- |
${busTable.join("\n")}
`;
  if (!values["no-write"]) writeSection(file, "Bus between processes: LISTEN/NOTIFY against Redis (issue 19)", body);
  console.log(body);
}
process.exit(0);
