// What per-user channels cost a process in memory: RSS before and after claiming N users' channels
// on the real RedisBus (each claim acknowledged by Redis), and Redis's own used_memory for them.
//
//   bun bench/bus-claims.ts [--users 100000] [--no-write]
//
// Runs on a redis-server of its own (a free port), so nothing else is in its figures.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { RedisClient } from "bun";
import { LocalDelivery } from "../src/realtime/bus";
import { RedisBus } from "../src/realtime/bus.redis";
import { fmt, loadLine, rssKiB, say, utcStamp, writeSection } from "./lib";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: { users: { type: "string", default: "100000" }, "no-write": { type: "boolean", default: false } },
});
const USERS = Number(values.users);
const port = 20_000 + Math.floor(Math.random() * 10_000);
const redisServer = Bun.spawn(["redis-server", "--port", String(port), "--save", "", "--appendonly", "no"], {
  stdout: "ignore",
  stderr: "inherit",
});
const url = `redis://127.0.0.1:${port}`;
const admin = new RedisClient(url);
for (let i = 0; ; i++) {
  try {
    await admin.connect();
    break;
  } catch (error) {
    if (i > 100) throw error;
    await Bun.sleep(50);
  }
}
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await admin.send("INFO", ["memory"]))![1]);

const bus = new RedisBus([url], "bench-claims", new LocalDelivery());
await bus.start();
const settle = async () => {
  Bun.gc(true);
  await Bun.sleep(1000);
  Bun.gc(true);
  return rssKiB(process.pid);
};
const [rssBefore, redisBefore] = [await settle(), await usedMemory()];
const started = performance.now();
// As many upgrades at once as the event loop takes: claims of one turn go out in one SUBSCRIBE.
for (let from = 0; from < USERS; from += 10_000) {
  await Promise.all(Array.from({ length: Math.min(10_000, USERS - from) }, (_, i) => bus.claim(from + i)));
}
const seconds = (performance.now() - started) / 1000;
const [rssAfter, redisAfter] = [await settle(), await usedMemory()];
const channels = Number(((await admin.send("PUBSUB", ["NUMSUB", "bench-claims:u:0"])) as unknown[])[1]);
const perUser = ((rssAfter - rssBefore) * 1024) / USERS;
const redisPerUser = (redisAfter - redisBefore) / USERS;
say(
  `${USERS} claims in ${seconds.toFixed(1)} s: process +${fmt((rssAfter - rssBefore) / 1024, 1)} MiB, redis +${fmt((redisAfter - redisBefore) / 2 ** 20, 1)} MiB`,
);
await bus.close();
admin.close();
redisServer.kill();

const body = `- ${utcStamp()}; ${await loadLine()}.
- Command: \`bun bench/bus-claims.ts --users ${USERS}\`
- One process claims ${fmt(USERS)} users' channels on the real RedisBus (src/realtime/bus.redis.ts) against a redis-server
  of its own, 10,000 claims at a time (each resolves once Redis acknowledged its SUBSCRIBE); RSS (VmRSS) after a full GC
  and 1 s of quiet, before and after; Redis's \`used_memory\`. Channel check: user 0's channel has ${channels} subscriber.

| users claimed | time | process RSS added | per user | Redis memory added | per user |
| --- | --- | --- | --- | --- | --- |
| ${fmt(USERS)} | ${seconds.toFixed(1)} s | ${fmt((rssAfter - rssBefore) / 1024, 1)} MiB | ${fmt(perUser, 0)} B | ${fmt((redisAfter - redisBefore) / 2 ** 20, 1)} MiB | ${fmt(redisPerUser, 0)} B |

With 100,000 sockets over several processes (the "Sockets held" runs: 887–906 MiB with the one-channel bus), each
user's claim adds about ${fmt(perUser, 0)} bytes to the process that holds their socket: ${fmt((perUser * 100_000) / 2 ** 20, 1)} MiB for 100,000 users, so
the total stays ${(887 + (perUser * 100_000) / 2 ** 20) < 1024 ? "under" : "over"} 1 GiB (estimated from the two measurements, not measured together here).
`;
if (!values["no-write"])
  writeSection(join(import.meta.dir, "RESULTS.md"), "Per-user channels: memory per claimed user (issue 19)", body);
console.log(body);
process.exit(0);
