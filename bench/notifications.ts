// The notification outbox against the fake Bot API server: throughput and the delay from the event
// (a message stored) to its sendMessage, for N offline recipients at once, on PostgreSQL.
//
//   bun bench/notifications.ts [--recipients 1000] [--runs 25:0,1000:0,1000:100] [--no-write]
//
// Each run is "rate:latency": TELEGRAM_MAX_PER_SECOND and how long the fake Bot API takes per call (ms).
// A scratch database mm_bench_notify on DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/postgres).
import { join } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { loadConfig } from "../src/config";
import { connectPostgres } from "../src/db/client";
import { sendMessage } from "../src/modules/chat/store";
import { createNotificationSender } from "../src/modules/notifications/sender";
import { createBotApi } from "../src/modules/telegram/bot-api";
import { withUserWide } from "../src/realtime/presence";
import { MemoryPresence } from "../src/realtime/presence.memory";
import { startFakeTelegram } from "../test/helpers/fake-telegram";
import { databaseUrl, fmt, loadLine, machine, percentile, SECRET, say, utcStamp, writeSection } from "./lib";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    recipients: { type: "string", default: "1000" },
    runs: { type: "string", default: "25:0,1000:0,1000:100" },
    "no-write": { type: "boolean", default: false },
  },
});
const N = Number(values.recipients);
const runs = values.runs.split(",").map((run) => run.split(":").map(Number) as [number, number]);
const ADMIN_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const SCRATCH = "mm_bench_notify";
const DB_URL = databaseUrl(ADMIN_URL, SCRATCH);
const TOKEN = "424242:bench-bot-token";
const command = `bun bench/notifications.ts ${Bun.argv.slice(2).join(" ")}`.trim();

const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
await admin.unsafe(`DROP DATABASE IF EXISTS ${SCRATCH} WITH (FORCE)`);
await admin.unsafe(`CREATE DATABASE ${SCRATCH}`);
await admin.end();
const config = loadConfig({ DATABASE_URL: DB_URL, JWT_SECRET: SECRET });
const database = connectPostgres(DB_URL, 10);
await database.migrate();
const raw = postgres(DB_URL, { max: 1, onnotice: () => {} });

// One sender and N recipients, each with a reachable chat and a match with the sender.
const SENDER = 1;
await raw.unsafe(
  `INSERT INTO users (id, gender, age) SELECT g, 'female', 25 FROM generate_series(1, ${N + 1}) g;
   INSERT INTO telegram_chats (user_id, chat_id, reachable) SELECT g, g, true FROM generate_series(2, ${N + 1}) g;
   INSERT INTO matches (user_a, user_b, created_at, expires_at)
   SELECT ${SENDER}, g, now(), now() + interval '48 hours' FROM generate_series(2, ${N + 1}) g;`,
);
const matchIds = (await raw.unsafe("SELECT id FROM matches ORDER BY id")).map((row) => Number(row.id));
const [pg] = await raw.unsafe("SELECT split_part(version(), ',', 1) AS v, current_setting('shared_buffers') AS sb");

interface Result {
  rate: number;
  latency: number;
  storeMs: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
}

async function measure(rate: number, latency: number): Promise<Result> {
  await raw.unsafe("DELETE FROM notifications; DELETE FROM notification_sender; DELETE FROM messages");
  await raw.unsafe("UPDATE matches SET message_count = 0, messages_a = 0, messages_b = 0");
  const fake = startFakeTelegram(TOKEN);
  if (latency > 0) for (let i = 0; i < N; i++) fake.next("sendMessage", { delayMs: latency });
  const sender = createNotificationSender({
    db: database.db,
    bot: createBotApi({ apiUrl: fake.url, token: TOKEN }),
    presence: withUserWide(new MemoryPresence()),
    publicUrl: "https://mm.example/app/",
    maxPerSecond: rate,
  });
  sender.start();
  // The events: one message to each recipient, 10 at a time (the pool's size), as sends would arrive.
  const eventAt = new Map<number, number>();
  const began = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (next < matchIds.length) {
        const matchId = matchIds[next++]!;
        const stored = await sendMessage(database.db, config.unlockThresholds, {
          matchId,
          senderId: SENDER,
          text: "hello",
        });
        eventAt.set(stored.partnerId, stored.message.createdAt.getTime());
      }
    }),
  );
  const storeMs = performance.now() - began;
  const calls = await fake.waitFor("sendMessage", N, (N / rate) * 1000 + 60_000);
  await sender.stop();
  await fake.stop();
  const arrivals = calls.map((call) => fake.arrivedAt(call));
  const delays = calls.map((call) => fake.arrivedAt(call) - eventAt.get(call.body.chat_id)!).sort((a, b) => a - b);
  const seconds = (Math.max(...arrivals) - Math.min(...eventAt.values())) / 1000;
  const chats = new Set(calls.map((call) => call.body.chat_id));
  if (chats.size !== N) throw new Error(`${chats.size} distinct chats for ${N} recipients`);
  return {
    rate,
    latency,
    storeMs,
    perSecond: N / seconds,
    p50: percentile(delays, 0.5),
    p99: percentile(delays, 0.99),
    max: delays.at(-1)!,
  };
}

const startedAt = utcStamp();
const results: Result[] = [];
for (const [rate, latency] of runs) {
  say(`notifications: ${N} recipients, TELEGRAM_MAX_PER_SECOND=${rate}, Bot API latency ${latency} ms`);
  const result = await measure(rate, latency);
  say(
    `  ${fmt(result.perSecond, 1)} sendMessage/s; delay p50 ${fmt(result.p50)} ms, p99 ${fmt(result.p99)} ms, max ${fmt(result.max)} ms`,
  );
  results.push(result);
}
await raw.end();
await database.close();

const body = `- Date: ${startedAt}; ${await loadLine()} at the end
- Machine: ${await machine(`${pg?.v} (shared_buffers ${pg?.sb})`)}
- Command: \`${command}\`
- What: ${fmt(N)} recipients with reachable chats, none online; one message to each (stored by \`sendMessage\`, ten at a
  time, which writes the outbox row in its statement), the sender (src/modules/notifications/sender.ts) running
  throughout against the fake Bot API server (test/helpers/fake-telegram.ts, real HTTP on 127.0.0.1). Delay: from
  the message's created_at to the fake receiving its sendMessage. Throughput: recipients ÷ (last sendMessage − first event).

| TELEGRAM_MAX_PER_SECOND | Bot API latency | events stored in | sendMessage/s | delay p50 | delay p99 | delay max |
| --- | --- | --- | --- | --- | --- | --- |
${results
  .map(
    (r) =>
      `| ${r.rate} | ${r.latency} ms | ${fmt(r.storeMs)} ms | ${fmt(r.perSecond, 1)} | ${fmt(r.p50)} ms | ${fmt(r.p99)} ms | ${fmt(r.max)} ms |`,
  )
  .join("\n")}
`;
if (values["no-write"]) console.log(body);
else {
  writeSection(join(import.meta.dir, "RESULTS.md"), "Notification outbox: throughput and delay", body);
  say("wrote the section to bench/RESULTS.md");
}
