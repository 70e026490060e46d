// Soak: mixed traffic against the real server for a set time; reports errors, latency and RSS drift.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test bun bench/soak.ts [--minutes 10] [--workers 16] [--sockets 200]
//
// Creates a scratch database (mm_soak) with 2,000 users in 1,000 matches, starts the server
// (bun src/main.ts), and runs HTTP workers (send-message 50%, chat history 25%, my-matches/stats
// 15%, find-match 10%, by premium users so the daily limit does not stop them) while sockets sit
// on matches and send a message now and then. Every 30 s it samples the server's VmRSS.
import postgres from "postgres";
import { signToken } from "../src/modules/auth/jwt";
import { databaseUrl, percentile, rssKiB, SECRET, startListening, stop } from "./lib";

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

const MINUTES = flag("minutes", 10);
const WORKERS = flag("workers", 16);
const SOCKETS = flag("sockets", 200);
const USERS = 2000;
const ADMIN_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const SCRATCH = "mm_soak";
const scratchUrl = databaseUrl(ADMIN_URL, SCRATCH);
const rssMiB = (pid: number) => rssKiB(pid) / 1024;

const startServer = () =>
  startListening(["bun", "src/main.ts"], {
    DATABASE_URL: scratchUrl,
    JWT_SECRET: SECRET,
    PORT: "0",
    HOST: "127.0.0.1",
    DB_POOL_SIZE: "20",
    RATE_LIMIT_SENDS_PER_MINUTE: "0",
    RATE_LIMIT_FIND_MATCH_PER_MINUTE: "0",
  });

type Kind = "send" | "history" | "my-matches" | "stats" | "find-match" | "socket-send";
const latencies = new Map<Kind, number[]>();
const failures = new Map<string, number>();
const record = (kind: Kind, ms: number) => {
  const list = latencies.get(kind) ?? [];
  list.push(ms);
  latencies.set(kind, list);
};
const fail = (what: string) => failures.set(what, (failures.get(what) ?? 0) + 1);

const tokens = Array.from({ length: USERS + 1 }, (_, id) => (id === 0 ? "" : signToken(SECRET, id, 24 * 3600)));
const matchOf = (user: number) => Math.ceil(user / 2);
const randomUser = () => 1 + Math.floor(Math.random() * USERS);

async function call(http: string, kind: Kind, method: string, path: string, user: number, body?: unknown) {
  const began = performance.now();
  try {
    const response = await fetch(`${http}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[user]}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    await response.arrayBuffer();
    // find-match may honestly find nobody left; everything else must succeed.
    if (response.status !== 200 && !(kind === "find-match" && response.status === 404))
      fail(`${kind} ${response.status}`);
  } catch (error) {
    fail(`${kind} ${String(error)}`);
  }
  record(kind, performance.now() - began);
}

async function worker(http: string, until: number) {
  let n = 0;
  while (Date.now() < until) {
    const user = randomUser();
    const roll = Math.random();
    n++;
    if (roll < 0.5) {
      await call(http, "send", "POST", "/api/mystery/send-message", user, {
        match_id: matchOf(user),
        message_text: `soak ${n}`,
        client_msg_id: `${user}-${n}-${Math.random()}`,
      });
    } else if (roll < 0.75) await call(http, "history", "GET", `/api/mystery/chat/${matchOf(user)}?limit=50`, user);
    else if (roll < 0.82) await call(http, "my-matches", "GET", `/api/mystery/my-matches/${user}`, user);
    else if (roll < 0.9) await call(http, "stats", "GET", `/api/mystery/stats/${user}`, user);
    else await call(http, "find-match", "POST", "/api/mystery/find-match", user, {});
  }
}

async function socketUser(http: string, user: number, until: number) {
  const ws = new WebSocket(
    `${http.replace(/^http/, "ws")}/api/mystery/ws/chat/${matchOf(user)}/${user}?token=${tokens[user]}`,
  );
  const pending = new Map<string, number>();
  ws.onmessage = (event) => {
    const data = JSON.parse(String(event.data));
    if (data.type === "ack") {
      record("socket-send", performance.now() - (pending.get(data.client_msg_id) ?? performance.now()));
      pending.delete(data.client_msg_id);
    } else if (data.type === "error") fail(`socket ${data.error}`);
  };
  ws.onclose = (event) => {
    if (Date.now() < until) fail(`socket closed ${event.code}`);
  };
  await new Promise((resolve) => (ws.onopen = resolve));
  let n = 0;
  while (Date.now() < until) {
    await Bun.sleep(2000 + Math.random() * 2000);
    const id = `s${user}-${n++}`;
    pending.set(id, performance.now());
    ws.send(JSON.stringify({ type: "message", text: `socket ${n}`, client_msg_id: id }));
  }
  ws.close();
}

const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
await admin.unsafe(`DROP DATABASE IF EXISTS ${SCRATCH} WITH (FORCE)`);
await admin.unsafe(`CREATE DATABASE ${SCRATCH}`);
const { child, url: http } = await startServer();
try {
  const db = postgres(scratchUrl, { max: 1, onnotice: () => {} });
  await db.unsafe(
    `INSERT INTO users (id, gender, age, premium_until)
     SELECT g, CASE WHEN g % 2 = 0 THEN 'female' ELSE 'male' END, 20 + g % 40, now() + interval '30 days'
     FROM generate_series(1, ${USERS}) g`,
  );
  await db.unsafe(
    `INSERT INTO matches (user_a, user_b, created_at, expires_at)
     SELECT 2 * g - 1, 2 * g, now(), now() + interval '30 days' FROM generate_series(1, ${USERS / 2}) g`,
  );
  await db.end();

  const started = Date.now();
  const until = started + MINUTES * 60_000;
  const rss: Array<[number, number]> = [[0, rssMiB(child.pid)]];
  const sampler = setInterval(() => rss.push([Math.round((Date.now() - started) / 1000), rssMiB(child.pid)]), 30_000);
  await Promise.all([
    ...Array.from({ length: WORKERS }, () => worker(http, until)),
    ...Array.from({ length: SOCKETS }, (_, i) => socketUser(http, i + 1, until)),
  ]);
  clearInterval(sampler);
  rss.push([Math.round((Date.now() - started) / 1000), rssMiB(child.pid)]);

  const rows = [...latencies].map(([kind, list]) => {
    const sorted = list.sort((a, b) => a - b);
    return `| ${kind} | ${list.length} | ${percentile(sorted, 0.5).toFixed(1)} | ${percentile(sorted, 0.99).toFixed(1)} | ${sorted.at(-1)?.toFixed(1)} |`;
  });
  const total = [...latencies.values()].reduce((sum, list) => sum + list.length, 0);
  console.log(`## Soak: ${MINUTES} minutes of mixed traffic

- Date: ${new Date(started).toISOString().slice(0, 16).replace("T", " ")} UTC
- Command: \`DATABASE_URL=${ADMIN_URL} bun bench/soak.ts --minutes ${MINUTES} --workers ${WORKERS} --sockets ${SOCKETS}\`
- ${USERS} premium users in ${USERS / 2} matches; ${WORKERS} HTTP workers back to back; ${SOCKETS} sockets each sending a
  message every 2–4 s. Rate limits off for the run.
- Requests: ${total} (${(total / (MINUTES * 60)).toFixed(0)}/s). Errors: ${failures.size === 0 ? "none" : JSON.stringify(Object.fromEntries(failures))}.

| kind | count | p50 ms | p99 ms | max ms |
| --- | --- | --- | --- | --- |
${rows.join("\n")}

Server RSS (MiB) over time (seconds): ${rss.map(([t, mib]) => `${t}s ${mib.toFixed(0)}`).join(", ")}.
`);
} finally {
  await stop(child);
  await admin.unsafe(`DROP DATABASE IF EXISTS ${SCRATCH} WITH (FORCE)`);
  await admin.end();
}
