// The LISTEN/NOTIFY bus between two workers on a real PostgreSQL, one of them through a proxy the test
// can hold and cut: a NOTIFY lost with its connection has its recipients' sockets catch up (1012).
import { afterAll, beforeAll, expect, test } from "bun:test";
import net from "node:net";
import type { Server, ServerWebSocket } from "bun";
import type { ServerEvent } from "../../src/kernel/events";
import { LocalDelivery } from "../../src/realtime/bus";
import { PostgresBus } from "../../src/realtime/bus.postgres";
import { SocketClient, upgradingServer } from "../helpers/socket";
import { type ThrowawayPostgres, throwawayServers } from "../helpers/throwaway";

type Socket = ServerWebSocket<unknown>;

/** A TCP proxy to PostgreSQL: `hold` drops what clients send (a statement then waits forever); `cut` closes every connection. */
class CuttableProxy {
  private readonly open = new Set<net.Socket>();
  held = false;
  readonly server: net.Server;

  constructor(upstreamPort: number) {
    this.server = net.createServer((client) => {
      const upstream = net.connect(upstreamPort, "127.0.0.1");
      this.open.add(client).add(upstream);
      client.on("data", (data) => this.held || upstream.write(data));
      upstream.on("data", (data) => client.write(data));
      for (const [one, other] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        one.on("close", () => {
          this.open.delete(one);
          other.destroy();
        });
        one.on("error", () => {});
      }
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve) =>
      this.server.listen(0, "127.0.0.1", () => resolve((this.server.address() as net.AddressInfo).port)),
    );
  }

  cut(): void {
    for (const socket of this.open) socket.destroy();
  }
}

const servers = throwawayServers();
let pg: ThrowawayPostgres;
let proxy: CuttableProxy;
let proxyUrl: string;
let server: Server<unknown>;
const pendingOpen: Array<(ws: Socket) => void> = [];
const buses: PostgresBus[] = [];

beforeAll(async () => {
  pg = await servers.postgres();
  proxy = new CuttableProxy(pg.port);
  proxyUrl = pg.url.replace(`:${pg.port}/`, `:${await proxy.listen()}/`);
  server = upgradingServer({ open: (ws) => pendingOpen.shift()!(ws), message() {} });
}, 60_000);
afterAll(async () => {
  await Promise.all(buses.map((bus) => bus.close()));
  server?.stop(true);
  proxy?.server.close();
});

/** A worker's bus and its sockets' delivery. */
async function worker(url: string): Promise<{ bus: PostgresBus; local: LocalDelivery }> {
  const local = new LocalDelivery();
  local.attach(server);
  const bus = new PostgresBus(url, "bus-test", local);
  buses.push(bus);
  await bus.start();
  return { bus, local };
}

/** A client socket of `userId` on match 1, subscribed in `local`. */
async function socketOf(local: LocalDelivery, userId: number): Promise<SocketClient> {
  const serverSide = new Promise<Socket>((resolve) => pendingOpen.push(resolve));
  const client = await SocketClient.open(`ws://127.0.0.1:${server.port}/`);
  local.subscribe(await serverSide, [`m:1:${userId}`, `u:${userId}`]);
  return client;
}

const read = (upTo: number): ServerEvent => ({ type: "read", up_to_id: upTo });

test("a NOTIFY lost with its connection: the recipients' sockets on the other workers close to catch up, others stay", async () => {
  const one = await worker(proxyUrl);
  const two = await worker(pg.url);
  const [bob, carol] = [await socketOf(two.local, 7), await socketOf(two.local, 8)];
  one.bus.publish("m:1:7", read(1));
  expect(await bob.next("read")).toEqual(read(1));

  // The NOTIFY goes into the void, then its connection (and worker one's LISTEN) is cut: the statement fails.
  proxy.held = true;
  one.bus.publish("m:1:7", read(2));
  await Bun.sleep(300);
  proxy.cut();
  proxy.held = false;

  // Worker one sends bob's catch-up once it reaches PostgreSQL again.
  expect(await bob.closed).toEqual({ code: 1012, reason: "events may have been missed: reconnect with since" });
  expect(bob.events).toEqual([read(1)]);
  // Carol's events all went out: her socket stays, and hears what comes next.
  one.bus.publish("m:1:8", read(3));
  expect(await carol.next("read")).toEqual(read(3));
  expect(carol.ws.readyState).toBe(WebSocket.OPEN);
  carol.ws.close();
}, 60_000);
