// The client of bench/bus.ts: one socket per user (user u on node u mod nodes), counting what arrives
// and the latency from publish to receipt. Prints {"msg":"ready"}; on stdin "report" prints
// {"received", "hist"} and starts counting afresh.
import { Histogram } from "./lib";

const urls = process.env.URLS!.split(",");
const users = Number(process.env.USERS ?? 1000);
let hist = new Histogram();
let received = 0;

await Promise.all(
  Array.from(
    { length: users },
    (_, user) =>
      new Promise<void>((resolve, reject) => {
        const ws = new WebSocket(`${urls[user % urls.length]!.replace(/^http/, "ws")}/u/${user}`);
        ws.onmessage = (message) => {
          if (message.data === "ready") return resolve();
          const event = JSON.parse(String(message.data)) as { self_destruct_at: string };
          hist.add(performance.timeOrigin + performance.now() - Number(event.self_destruct_at));
          received++;
        };
        ws.onerror = () => reject(new Error(`socket of user ${user} failed`));
      }),
  ),
);
console.log(JSON.stringify({ msg: "ready" }));
for await (const line of console) {
  if (line.trim() === "report") {
    console.log(JSON.stringify({ received, hist }));
    hist = new Histogram();
    received = 0;
  }
  if (line.trim() === "exit") process.exit(0);
}
