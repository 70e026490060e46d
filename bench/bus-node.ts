// One process of bench/bus.ts: the real LocalDelivery behind a Bun WebSocket server, with one bus
// (BUS=redis-user: per-user channels, src/realtime/bus.redis.ts; redis-one: the one-channel baseline;
// postgres: LISTEN/NOTIFY, src/realtime/bus.postgres.ts). Socket /u/<user> holds user <user>'s topic.
// On stdin {"cmd":"publish","rate":R,"seconds":S} it publishes R events a second for S seconds, each to
// a random user of all USERS (wherever their socket is), and prints {"done":sent}.
import type { ServerWebSocket } from "bun";
import { LocalDelivery } from "../src/realtime/bus";
import { PostgresBus } from "../src/realtime/bus.postgres";
import { RedisBus } from "../src/realtime/bus.redis";
import { userTopic } from "../src/realtime/topics";
import { OneChannelBus } from "./bus-one-channel";

const kind = process.env.BUS ?? "redis-user";
const prefix = process.env.PREFIX ?? "bench-bus";
const users = Number(process.env.USERS ?? 1000);
const local = new LocalDelivery();
const bus =
  kind === "postgres"
    ? new PostgresBus(process.env.DATABASE_URL!, prefix, local)
    : kind === "redis-one"
      ? new OneChannelBus(process.env.REDIS_URL!, prefix, local)
      : new RedisBus([process.env.REDIS_URL!], prefix, local);
await bus.start();

const server = Bun.serve<{ user: number }>({
  port: 0,
  hostname: "127.0.0.1",
  fetch(request, server) {
    const user = Number(new URL(request.url).pathname.split("/")[2]);
    if (server.upgrade(request, { data: { user } })) return;
    return new Response("expected a websocket", { status: 400 });
  },
  websocket: {
    perMessageDeflate: false,
    async open(ws: ServerWebSocket<{ user: number }>) {
      await bus.claim(ws.data.user);
      local.subscribe(ws as ServerWebSocket<unknown>, [userTopic(ws.data.user)]);
      ws.send("ready");
    },
    close(ws: ServerWebSocket<{ user: number }>) {
      local.unsubscribe(ws as ServerWebSocket<unknown>, [userTopic(ws.data.user)]);
      bus.release(ws.data.user);
    },
    message() {},
  },
});
local.attach(server);
console.log(JSON.stringify({ msg: "listening", url: `http://127.0.0.1:${server.port}` }));

const TICK_MS = 10;
async function publish(rate: number, seconds: number): Promise<number> {
  const started = performance.now();
  let sent = 0;
  while (performance.now() - started < seconds * 1000) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    for (; sent < due; sent++) {
      const user = Math.floor(Math.random() * users);
      // Stamped with the wall clock the receiving client shares (same machine).
      bus.publish(userTopic(user), {
        type: "secret_chat_started",
        self_destruct_at: String(performance.timeOrigin + performance.now()),
      });
    }
    await Bun.sleep(TICK_MS);
  }
  return sent;
}

for await (const line of console) {
  const command = JSON.parse(line) as { cmd: string; rate: number; seconds: number };
  if (command.cmd === "publish") console.log(JSON.stringify({ done: await publish(command.rate, command.seconds) }));
  if (command.cmd === "exit") break;
}
await bus.close();
process.exit(0);
