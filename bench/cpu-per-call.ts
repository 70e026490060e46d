// Server CPU per call of the hot service functions, run one after another against a bench database:
// the cost of our code (statement building, the driver, the mapping) without HTTP or load generator
// noise, so two trees can be compared on a busy machine. Usage:
//   bun bench/cpu-per-call.ts <tree> <pairs file> [database url]
// <tree> is a checkout (its src/ is imported); <pairs file> is the "user match token" list bench/http.ts
// writes (its tmp dir is printed by `bun run bench http ... --keep`). Trees older than the chat
// module's split (chat/service.ts) are measured through their old signatures.
import { existsSync } from "node:fs";
import { join } from "node:path";

const [tree, pairsFile, url = "postgres://postgres@127.0.0.1:5432/mm_quick"] = Bun.argv.slice(2);
if (!tree || !pairsFile) throw new Error("usage: bun bench/cpu-per-call.ts <tree> <pairs file> [database url]");

const split = existsSync(join(tree, "src/modules/chat/store.ts"));
const { connectPostgres } = await import(join(tree, "src/db/client.ts"));
const matches = await import(join(tree, "src/modules/matches/service.ts"));
const chat = await import(join(tree, `src/modules/chat/${split ? "store" : "service"}.ts`));
const history = await import(join(tree, `src/modules/chat/${split ? "history" : "service"}.ts`));

const database = connectPostgres(url, 2);
const db = database.db;
const pairs = (await Bun.file(pairsFile).text())
  .trim()
  .split("\n")
  .map((line) => line.split(" ").slice(0, 2).map(Number) as [number, number]);
const thresholds = [20, 60, 100, 150] as const;
const CALLS = 2000;
const WARM_UP = 300;

async function measure(name: string, call: (user: number, match: number) => Promise<unknown>): Promise<void> {
  let failed = 0;
  const run = async (i: number) => {
    const [user, match] = pairs[i % pairs.length]!;
    await call(user, match).catch(() => failed++);
  };
  for (let i = 0; i < WARM_UP; i++) await run(i);
  failed = 0;
  const before = process.cpuUsage();
  for (let i = 0; i < CALLS; i++) await run(i);
  const used = process.cpuUsage(before);
  const perCall = (used.user + used.system) / CALLS;
  console.log(`${name.padEnd(12)} ${perCall.toFixed(1)} µs CPU per call (${CALLS} calls, ${failed} refused)`);
}

console.log(`tree ${tree}`);
await measure("stats", (user) => matches.getStats(db, 3, user));
await measure("my-matches", (user) => matches.listMatches(db, thresholds, user));
await measure("chat page", (user, match) =>
  history.getHistory(db, thresholds, { matchId: match, userId: user, limit: 50 }),
);
await measure("lone send", (user, match) =>
  split
    ? chat.sendMessage(db, thresholds, { matchId: match, senderId: user, text: "cpu probe" })
    : chat.sendMessage(db, { matchId: match, senderId: user, text: "cpu probe" }),
);
await database.close();
