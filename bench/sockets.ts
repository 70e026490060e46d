// Socket scenarios: many sockets held across server processes (RSS per socket), and fan-out of
// persisted messages and typing events between the two ends of many matches, each against Bun's
// bare pub/sub with the same topology (bench/bare-pubsub-server.ts). Called by bench/run.ts.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RedisClient } from "bun";
import postgres from "postgres";
import { signToken } from "../src/modules/auth/jwt";
import { serverEnv } from "./http";
import {
  bunCommand,
  fmt,
  Histogram,
  pssKiB,
  rssKiB,
  run,
  SECRET,
  type Started,
  say,
  startListening,
  stop,
} from "./lib";

/** Sockets per server process and per client process: under the 20,000 open files of one process. */
export const PER_PROCESS = 15_000;

interface Pair {
  match: number;
  a: number;
  b: number;
}

/** `count` matches that stay open through the run, neither user banned. */
export async function pairs(dbUrl: string, count: number): Promise<Pair[]> {
  const db = postgres(dbUrl, { max: 1, onnotice: () => {} });
  const rows = await db.unsafe(
    `SELECT m.id AS match, m.user_a AS a, m.user_b AS b FROM matches m
       JOIN users ua ON ua.id = m.user_a JOIN users ub ON ub.id = m.user_b
      WHERE m.is_active AND m.expires_at > now() + interval '2 hours'
        AND ua.ban_until IS NULL AND ub.ban_until IS NULL
      ORDER BY m.id LIMIT ${count}`,
  );
  await db.end();
  if (rows.length < count) say(`only ${rows.length} usable matches (wanted ${count})`);
  return rows.map((r) => ({ match: Number(r.match), a: Number(r.a), b: Number(r.b) }));
}

export type ServerKind = "server" | "bare";

/** The executable the hold scenario measures, as deployed: `bun run build` in the measured checkout. */
export async function buildBinary(root: string): Promise<string[]> {
  const build = await run(["bun", "run", "build"], {}, root);
  if (build.code !== 0) throw new Error(`bun run build failed in ${root}: ${build.stderr}`);
  return [join(root, "dist/mystery-match"), "serve"];
}

/** Server processes, each on its own loopback address (127.0.0.2, .3, …), one Redis between them. */
export async function startServers(
  kind: ServerKind,
  count: number,
  options: { dbUrl: string; redisUrl: string; serverRoot: string },
  poolSize: number,
  serverCommand = bunCommand(join(options.serverRoot, "src/main.ts")),
) {
  const prefix = `mm-bench-${kind}-${Date.now().toString(36)}`;
  const env = serverEnv(options.dbUrl, poolSize, options.redisUrl, prefix);
  const command = kind === "server" ? serverCommand : ["bun", join(import.meta.dir, "bare-pubsub-server.ts")];
  const servers = await Promise.all(
    Array.from({ length: count }, (_, i) => startListening(command, { ...env, HOST: `127.0.0.${2 + i}` })),
  );
  return { servers, prefix };
}

/** Deletes the run's presence and last-seen keys (they would live in Redis for 30 days). */
export async function dropRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new RedisClient(url);
  try {
    let cursor = "0";
    do {
      const [next, keys] = (await redis.send("SCAN", [cursor, "MATCH", `${prefix}:*`, "COUNT", "1000"])) as [
        string,
        string[],
      ];
      cursor = next;
      if (keys.length > 0) await redis.send("DEL", keys);
    } while (cursor !== "0");
  } finally {
    redis.close();
  }
}

export interface Client {
  child: Bun.Subprocess<"pipe", "pipe", "inherit">;
  lines: AsyncIterator<string>;
  sockets: number;
}

/** Reads a child's stdout as lines. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    let at = buffer.indexOf("\n");
    while (at !== -1) {
      yield buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
      at = buffer.indexOf("\n");
    }
  }
}

export async function nextEvent(client: Client): Promise<Record<string, any>> {
  for (;;) {
    const { value, done } = await client.lines.next();
    if (done) throw new Error("a load client exited");
    if (value.startsWith("{")) return JSON.parse(value);
  }
}

/**
 * Spreads the sockets of `list` (both users of each match, kept in one client process) over
 * `clients` processes; each socket goes to server (user id mod servers), as a balancer would.
 */
export async function startClients(kind: ServerKind, list: Pair[], servers: Started[], clientCount: number) {
  const dir = mkdtempSync(join(tmpdir(), "mm-bench-ws-"));
  const wsUrls = servers.map((s) => s.url.replace(/^http/, "ws"));
  const clients: Client[] = [];
  for (let c = 0; c < clientCount; c++) {
    const mine = list.filter((_, i) => i % clientCount === c);
    const sockets = mine.flatMap((p, i) =>
      [
        [p.a, p.b],
        [p.b, p.a],
      ].map(([user, partner], side) => ({
        url:
          `${wsUrls[user! % wsUrls.length]}/api/mystery/ws/chat/${p.match}/${user}?token=${signToken(SECRET, user!, 6 * 3600)}` +
          (kind === "bare" ? `&partner=${partner}` : ""),
        partner: 2 * i + (1 - side),
      })),
    );
    const file = join(dir, `client-${c}.json`);
    writeFileSync(file, JSON.stringify({ sockets, concurrency: 100 }));
    const child = Bun.spawn(["bun", join(import.meta.dir, "ws-client.ts")], {
      env: { ...process.env, BENCH_CLIENT: file },
      stdin: "pipe",
      stdout: "pipe",
      stderr: "inherit",
    });
    clients.push({ child, lines: lines(child.stdout)[Symbol.asyncIterator](), sockets: sockets.length });
  }
  const opened = await Promise.all(clients.map(nextEvent));
  return {
    clients,
    opened: opened.reduce((s, e) => s + e.opened, 0),
    failed: opened.reduce((s, e) => s + e.failed, 0),
    seconds: Math.max(...opened.map((e) => e.seconds)),
  };
}

export async function stopClients(clients: Client[]) {
  for (const c of clients) {
    c.child.stdin.write('{"cmd":"exit"}\n');
    c.child.stdin.flush();
  }
  await Promise.all(clients.map((c) => Promise.race([c.child.exited, Bun.sleep(10_000).then(() => c.child.kill())])));
}

/** How long the sockets are held, quiet, before the last RSS sample (the runtime collects on its own timers). */
const HOLD_MS = 60_000;

/** VmRSS and PSS of each server, in KiB. */
interface Memory {
  rss: number[];
  pss: number[];
}

const memoryOf = (servers: Started[]): Memory => ({
  rss: servers.map((s) => rssKiB(s.child.pid)),
  pss: servers.map((s) => pssKiB(s.child.pid)),
});

/** The servers' memory after the allocator has had a few quiet seconds. */
async function settledMemory(servers: Started[]): Promise<Memory> {
  await Bun.sleep(3000);
  return memoryOf(servers);
}

export interface HoldRow {
  kind: ServerKind;
  processes: number;
  clients: number;
  opened: number;
  failed: number;
  openSeconds: number;
  idle: Memory;
  loaded: Memory;
  /** Once the sockets have been held a minute with nothing happening: where it settles. */
  held: Memory;
}

export async function holdSockets(options: {
  dbUrl: string;
  redisUrl: string;
  serverRoot: string;
  sockets: number;
}): Promise<HoldRow[]> {
  const list = await pairs(options.dbUrl, Math.ceil(options.sockets / 2));
  const total = list.length * 2;
  const processes = Math.ceil(total / PER_PROCESS);
  const rows: HoldRow[] = [];
  const binary = await buildBinary(options.serverRoot);
  for (const kind of ["bare", "server"] as ServerKind[]) {
    say(`hold: ${total} sockets on ${processes} ${kind} processes`);
    const { servers, prefix } = await startServers(kind, processes, options, 4, binary);
    try {
      const idle = await settledMemory(servers);
      const { clients, opened, failed, seconds } = await startClients(kind, list, servers, processes);
      const loaded = await settledMemory(servers);
      say(`hold: ${kind}: ${opened} open, ${failed} failed in ${seconds.toFixed(1)} s; holding them a minute`);
      await Bun.sleep(HOLD_MS);
      const held = memoryOf(servers);
      rows.push({ kind, processes, clients: clients.length, opened, failed, openSeconds: seconds, idle, loaded, held });
      await stopClients(clients);
    } finally {
      await Promise.all(servers.map((s) => stop(s.child)));
      await dropRedisKeys(options.redisUrl, prefix);
    }
  }
  return rows;
}

export function holdSection(rows: HoldRow[]): string {
  const sum = (list: number[]) => list.reduce((a, b) => a + b, 0);
  const mib = (kib: number[]) => `${fmt(sum(kib) / 1024, 1)} MiB`;
  const perSocket = (r: HoldRow) => (sum(r.loaded.rss) - sum(r.idle.rss)) / Math.max(1, r.opened);
  const table = rows.map(
    (r) =>
      `| ${r.kind === "bare" ? "Bun bare pub/sub (bench/bare-pubsub-server.ts)" : "Mystery Match (dist/mystery-match serve)"} | ` +
      `${r.processes} | ${fmt(r.opened)} | ${r.failed} | ${r.openSeconds.toFixed(1)} s | ${mib(r.idle.rss)} | ` +
      `${mib(r.loaded.rss)} | ${mib(r.held.rss)} | ${mib(r.loaded.pss)} / ${mib(r.held.pss)} | ${perSocket(r).toFixed(2)} KiB | ` +
      `${r.loaded.rss.map((k) => (k / 1024).toFixed(0)).join(" / ")} |`,
  );
  const ours = rows.find((r) => r.kind === "server");
  const bare = rows.find((r) => r.kind === "bare");
  const worst = ours ? Math.max(sum(ours.loaded.rss), sum(ours.held.rss)) : 0;
  return `- Both ends of ${fmt((ours?.opened ?? 0) / 2)} matches: each socket goes to server process (user id mod processes),
  each process on its own address (127.0.0.2, .3, …) with Redis between them; ${ours?.clients ?? 0} client processes
  (bench/ws-client.ts, Bun's WebSocket client, 100 opening at a time each). A socket counts once its first frame
  (\`connected\`) arrived; the real server's upgrade checks the JWT and the match in PostgreSQL and joins presence in Redis.
  The server is the executable \`bun run build\` makes in the measured checkout, as deployed.
- RSS is VmRSS from /proc/<pid>/status summed over the server processes, 3 s after the last socket opened
  and again after the sockets have been held a minute with nothing happening (where it settles). The sum
  counts the executable's code again in every process; PSS (/proc/<pid>/smaps_rollup) shares such pages
  out, so its sum is the memory the processes hold together. The target is read on the RSS sum, the larger of the two samples.

| server | processes | sockets open | failed | time to open | RSS idle (total) | RSS with sockets (total) | after a minute held | PSS with sockets / after a minute | per socket (RSS) | RSS per process (MiB) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${table.join("\n")}

${ours ? `Target: ${fmt(ours.opened)} sockets held with total server RSS < 1 GiB: **${fmt(worst / 1024, 0)} MiB** (${worst < 1024 * 1024 ? "met" : "missed"}${ours.opened < 100_000 ? `; at ${fmt(ours.opened)} sockets, not 100k` : ""}).` : ""}
${ours && bare ? `Per socket, ours to the bare baseline's: ${(perSocket(ours) / perSocket(bare)).toFixed(2)}×.` : ""}
`;
}

export interface FanoutPhase {
  kind: ServerKind;
  phase: "messages" | "typing";
  offered: number;
  sent: number;
  received: number;
  deliveriesPerSecond: number;
  p50: number;
  p99: number;
  errors: Record<string, number>;
  closes: number;
}

export interface FanoutResult {
  matches: number;
  processes: number;
  clients: number;
  seconds: number;
  rows: FanoutPhase[];
}

async function phase(
  kind: ServerKind,
  clients: Client[],
  name: "messages" | "typing",
  command: Record<string, unknown>,
  offered: number,
  seconds: number,
): Promise<FanoutPhase> {
  for (const c of clients) {
    c.child.stdin.write(`${JSON.stringify(command)}\n`);
    c.child.stdin.flush();
  }
  const results = await Promise.all(clients.map(nextEvent));
  const hist = new Histogram();
  const errors: Record<string, number> = {};
  for (const r of results) {
    hist.merge(r.hist);
    for (const [code, n] of Object.entries(r.errors as Record<string, number>)) errors[code] = (errors[code] ?? 0) + n;
  }
  const row = {
    kind,
    phase: name,
    offered,
    sent: results.reduce((s, r) => s + r.sent, 0),
    received: results.reduce((s, r) => s + r.received, 0),
    deliveriesPerSecond: results.reduce((s, r) => s + r.inWindow, 0) / seconds,
    p50: hist.quantile(0.5),
    p99: hist.quantile(0.99),
    errors,
    closes: Math.max(...results.map((r) => r.unexpectedCloses)),
  };
  say(
    `fanout: ${kind} ${name}: sent ${row.sent}, received ${row.received}, ${fmt(row.deliveriesPerSecond)}/s, ` +
      `p50 ${fmt(row.p50, 2)} ms, p99 ${fmt(row.p99, 2)} ms ${JSON.stringify(errors)}`,
  );
  return row;
}

/** A messages phase at the lowest rate before the measured ones. */
const WARM_UP_SECONDS = 5;

export async function fanout(options: {
  dbUrl: string;
  redisUrl: string;
  serverRoot: string;
  matches: number;
  /** Offered message rates, one phase each (e.g. the target rate and a lower one). */
  messageRates: number[];
  typingPerSocket: number;
  seconds: number;
}): Promise<FanoutResult> {
  const list = await pairs(options.dbUrl, options.matches);
  const processes = Math.max(2, Math.ceil((2 * list.length) / PER_PROCESS));
  const clientCount = Math.max(2, Math.ceil((2 * list.length) / PER_PROCESS));
  const rows: FanoutPhase[] = [];
  const typingRate = options.typingPerSocket * 2 * list.length;
  for (const kind of ["bare", "server"] as ServerKind[]) {
    say(`fanout: ${list.length} matches on ${processes} ${kind} processes, ${clientCount} clients`);
    const { servers, prefix } = await startServers(kind, processes, options, 10);
    try {
      const { clients, opened, failed } = await startClients(kind, list, servers, clientCount);
      say(`fanout: ${kind}: ${opened} open, ${failed} failed`);
      // Lowest rates first and the highest last: a rate the server cannot keep up with leaves a
      // backlog that would spoil any phase after it (typing included).
      const rates = [...options.messageRates].sort((a, b) => a - b);
      const messages = (rate: number) =>
        phase(
          kind,
          clients,
          "messages",
          { cmd: "messages", rate: rate / clients.length, seconds: options.seconds },
          rate,
          options.seconds,
        );
      // Not recorded: the first messages prepare each pooled connection's statements and warm the JIT.
      await phase(
        kind,
        clients,
        "messages",
        { cmd: "messages", rate: rates[0]! / clients.length, seconds: WARM_UP_SECONDS },
        rates[0]!,
        WARM_UP_SECONDS,
      );
      for (const rate of rates.slice(0, -1)) rows.push(await messages(rate));
      rows.push(
        await phase(
          kind,
          clients,
          "typing",
          { cmd: "typing", perSocket: options.typingPerSocket, seconds: options.seconds },
          typingRate,
          options.seconds,
        ),
      );
      rows.push(await messages(rates.at(-1)!));
      await stopClients(clients);
    } finally {
      await Promise.all(servers.map((s) => stop(s.child)));
      await dropRedisKeys(options.redisUrl, prefix);
    }
  }
  return { matches: list.length, processes, clients: clientCount, seconds: options.seconds, rows };
}

export function fanoutSection(result: FanoutResult): string {
  const find = (kind: ServerKind, phase: string) => result.rows.find((r) => r.kind === kind && r.phase === phase);
  const table = result.rows.map(
    (r) =>
      `| ${r.kind === "bare" ? "bare pub/sub" : "Mystery Match"} | ${r.phase === "messages" ? "message (persisted by ours)" : "typing"} | ` +
      `${fmt(r.offered)}/s | ${fmt(r.sent)} | ${fmt(r.received)} | ${fmt(r.deliveriesPerSecond)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ` +
      `${Object.keys(r.errors).length ? JSON.stringify(r.errors) : "none"}${r.closes ? `, ${r.closes} closed` : ""} |`,
  );
  const oursTyping = find("server", "typing");
  const bareTyping = find("bare", "typing");
  const oursMessages = result.rows.filter((r) => r.kind === "server" && r.phase === "messages");
  return `- ${fmt(result.matches)} matches, both ends connected (${fmt(2 * result.matches)} sockets) to ${result.processes} server
  processes (socket → process by user id, so about half the events cross Redis), from ${result.clients} client processes
  that hold both ends of their matches (latency is read on one clock: send → the partner's event).
- Each phase runs ${result.seconds} s at a fixed offered rate, round robin over the sockets; deliveries/s counts the
  partner's receipts inside the window, latency all receipts (up to 10 s after the window; the next phase starts
  once everything arrived or those 10 s are over). A ${WARM_UP_SECONDS} s messages phase at the lowest rate runs first and is not recorded.
- message: \`{"type":"message"}\` frames; the real server stores each one (src/modules/chat/writer.ts: alone, or with
  the sends queued meanwhile in one statement), acks it after the commit, and publishes it to both participants. typing: \`{"type":"typing"}\` frames alternating true/false, relayed, not stored.
- Baseline: bench/bare-pubsub-server.ts, the same processes, addresses, topics and Redis relay, nothing else.

| server | event | offered | sent | received by partner | deliveries/s | p50 ms | p99 ms | errors |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${table.join("\n")}

${oursTyping && bareTyping ? `Typing fan-out, ours to the bare baseline (deliveries/s): ${(oursTyping.deliveriesPerSecond / bareTyping.deliveriesPerSecond).toFixed(2)}× (target ≥ 0.8×).` : ""}
${oursMessages.map((r) => `Persisted messages at ${fmt(r.offered)}/s: p99 delivery ${fmt(r.p99, 1)} ms (target < 50 ms at 5,000/s).`).join("\n")}
`;
}
