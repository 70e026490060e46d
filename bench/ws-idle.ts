// Memory per idle chat socket: RSS of the real server holding N sockets, against Bun's bare pub/sub.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test bun bench/ws-idle.ts [--sockets 15000]
//
// Creates a scratch database (mm_ws_idle), seeds N users in N/2 matches, starts the server
// (bun src/main.ts) and the baseline (bench/bare-ws-server.ts) in turn, opens N sockets from this
// process, waits for every `connected`, and reads the server's VmRSS from /proc. Prints Markdown.
import postgres from "postgres";
import { signToken } from "../src/modules/auth/jwt";
import { databaseUrl, rssKiB, SECRET, startListening, stop } from "./lib";

const args = process.argv.slice(2);
const SOCKETS = Number(args[args.indexOf("--sockets") + 1] ?? 15000) || 15000;
const ADMIN_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const SCRATCH = "mm_ws_idle";
const BATCH = 250;
const scratchUrl = databaseUrl(ADMIN_URL, SCRATCH);

async function openAll(base: string): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let first = 0; first < SOCKETS; first += BATCH) {
    const batch = [];
    for (let i = first; i < Math.min(first + BATCH, SOCKETS); i++) {
      const user = i + 1;
      const match = Math.floor(i / 2) + 1;
      const ws = new WebSocket(`${base}/api/mystery/ws/chat/${match}/${user}?token=${signToken(SECRET, user, 3600)}`);
      sockets.push(ws);
      batch.push(
        new Promise<void>((resolve, reject) => {
          ws.onmessage = () => resolve();
          ws.onerror = () => reject(new Error(`socket ${user} failed`));
        }),
      );
    }
    await Promise.all(batch);
  }
  return sockets;
}

async function settle(pid: number): Promise<number> {
  // Let the allocator settle: RSS is read three times a second apart and the last is kept.
  let rss = 0;
  for (let i = 0; i < 3; i++) {
    await Bun.sleep(1000);
    rss = rssKiB(pid);
  }
  return rss;
}

async function measure(name: string, command: string[], env: Record<string, string>) {
  const { child, url } = await startListening(command, env);
  const idle = await settle(child.pid);
  const began = performance.now();
  const sockets = await openAll(url.replace(/^http/, "ws"));
  const seconds = (performance.now() - began) / 1000;
  const loaded = await settle(child.pid);
  for (const ws of sockets) ws.close();
  await stop(child);
  return { name, idle, loaded, seconds, perSocket: ((loaded - idle) * 1024) / SOCKETS };
}

const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
await admin.unsafe(`DROP DATABASE IF EXISTS ${SCRATCH} WITH (FORCE)`);
await admin.unsafe(`CREATE DATABASE ${SCRATCH}`);
try {
  const server = await startListening(["bun", "src/main.ts"], {
    DATABASE_URL: scratchUrl,
    JWT_SECRET: SECRET,
    PORT: "0",
    HOST: "127.0.0.1",
  });
  await stop(server.child);
  const db = postgres(scratchUrl, { max: 1, onnotice: () => {} });
  await db.unsafe(`INSERT INTO users (id, gender, age) SELECT g, 'female', 30 FROM generate_series(1, ${SOCKETS}) g`);
  await db.unsafe(
    `INSERT INTO matches (user_a, user_b, created_at, expires_at)
     SELECT 2 * g - 1, 2 * g, now(), now() + interval '48 hours' FROM generate_series(1, ${SOCKETS / 2}) g`,
  );
  await db.end();

  const env = { DATABASE_URL: scratchUrl, JWT_SECRET: SECRET, PORT: "0", HOST: "127.0.0.1" };
  const results = [
    await measure("Bun bare pub/sub (bench/bare-ws-server.ts)", ["bun", "bench/bare-ws-server.ts"], env),
    await measure("Mystery Match server (bun src/main.ts)", ["bun", "src/main.ts"], env),
  ];
  const [bare, ours] = results as [(typeof results)[0], (typeof results)[0]];
  console.log(`## Idle WebSocket memory

- Date: ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC
- Command: \`DATABASE_URL=${ADMIN_URL} bun bench/ws-idle.ts --sockets ${SOCKETS}\`
- ${SOCKETS} sockets opened from one client process, ${BATCH} at a time; each waited for its first frame.
  RSS is VmRSS from /proc/<pid>/status, read after 3 s of quiet before and after.

| server | RSS idle | RSS with ${SOCKETS} sockets | per socket | time to open all |
| --- | --- | --- | --- | --- |
${results
  .map(
    (r) =>
      `| ${r.name} | ${(r.idle / 1024).toFixed(1)} MiB | ${(r.loaded / 1024).toFixed(1)} MiB | ${(r.perSocket / 1024).toFixed(2)} KiB | ${r.seconds.toFixed(1)} s |`,
  )
  .join("\n")}

Ratio, our per-socket cost to the bare baseline's: ${(ours.perSocket / bare.perSocket).toFixed(2)}×.
`);
} finally {
  await admin.unsafe(`DROP DATABASE IF EXISTS ${SCRATCH} WITH (FORCE)`);
  await admin.end();
}
