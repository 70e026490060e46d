// `serve --workers N` from the compiled binary: N workers on one port under one supervising parent,
// sharing events through PostgreSQL LISTEN/NOTIFY (or Redis) and presence and limits through the parent.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LoggedChild, ROOT, spawnLogged } from "../helpers/child";
import { call, eventually, type Pair, seedPairs, serverEnv, tokenFor } from "../helpers/remote";
import { SocketClient } from "../helpers/socket";
import { type ThrowawayPostgres, type ThrowawayRedis, throwawayServers } from "../helpers/throwaway";

const SLOW = 120_000;
let dir: string;
let binary: string;
let pg: ThrowawayPostgres;
let redis: ThrowawayRedis;
const servers = throwawayServers();
const started: LoggedChild[] = [];
const sockets: SocketClient[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mm-workers-test-"));
  binary = join(dir, "mystery-match");
  const build = Bun.spawn(
    ["bun", "build", "src/main.ts", "--compile", "--minify", "--asset-naming=[name].[ext]", "--outfile", binary],
    { cwd: ROOT, stdout: "ignore", stderr: "pipe" },
  );
  if ((await build.exited) !== 0) throw new Error(await new Response(build.stderr).text());
  [pg, redis] = await Promise.all([servers.postgres(), servers.redis()]);
}, SLOW);
afterAll(async () => {
  for (const socket of sockets) socket.ws.close();
  for (const child of started) child.process.kill("SIGKILL");
  await Promise.all(started.map((child) => child.ended));
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

/** The binary as an operator runs it, from a directory holding nothing else. */
function run(args: string[], env: Record<string, string>): LoggedChild {
  const child = spawnLogged({ PATH: "/usr/bin:/bin", HOME: dir, ...env }, { command: [binary, ...args], cwd: dir });
  started.push(child);
  return child;
}

interface Workers {
  child: LoggedChild;
  http: string;
  ws: string;
}

async function serveWorkers(count: number, extra: Record<string, string> = {}): Promise<Workers> {
  const child = run(["serve", "--workers", String(count), "--port", "0", "--host", "127.0.0.1"], {
    ...serverEnv(pg.url),
    ...extra,
  });
  const listening = await child.logged("listening");
  return { child, http: listening.url, ws: listening.url.replace(/^http/, "ws") };
}

/** /health on a connection of its own (so the kernel may hand it to any worker); null while nothing listens. */
async function health(base: string): Promise<{ pid: number; worker: number | null } | null> {
  try {
    const response = await fetch(`${base}/health`, { headers: { connection: "close" }, keepalive: false });
    return (await response.json()) as { pid: number; worker: number | null };
  } catch {
    return null;
  }
}

/** Asks /health until every worker index below `count` has answered (at most 20 s); each one's pid. */
async function pidsOf(base: string, count: number): Promise<Map<number, number>> {
  const pids = new Map<number, number>();
  const deadline = Date.now() + 20_000;
  while (pids.size < count && Date.now() < deadline) {
    const answer = await health(base);
    if (answer === null) await Bun.sleep(50);
    else if (answer.worker !== null) pids.set(answer.worker, answer.pid);
  }
  return pids;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function connect(base: string, pair: Pair, userId: number): Promise<SocketClient> {
  const socket = await SocketClient.open(
    `${base}/api/mystery/ws/chat/${pair.matchId}/${userId}?token=${tokenFor(userId)}`,
  );
  sockets.push(socket);
  return socket;
}

/** A socket that got its `connected` event, trying again while the database is still coming back. */
async function eventuallyConnected(base: string, pair: Pair, userId: number): Promise<SocketClient> {
  for (let attempt = 0; ; attempt++) {
    try {
      const socket = await connect(base, pair, userId);
      await socket.next("connected");
      return socket;
    } catch (error) {
      if (attempt > 100) throw error;
      await Bun.sleep(100);
    }
  }
}

test("--workers without DATABASE_URL stops with one line naming DATABASE_URL", async () => {
  const child = run(["serve", "--workers", "2", "--port", "0"], { DATA_DIR: join(dir, "data") });
  const [code, stderr] = await Promise.all([child.process.exited, child.stderr]);
  expect(code).not.toBe(0);
  expect(stderr.trim().split("\n")).toHaveLength(1);
  expect(stderr).toContain("DATABASE_URL");
});

test("--workers on a port in use stops with one line saying so", async () => {
  const taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    const child = run(
      ["serve", "--workers", "2", "--port", String(taken.port), "--host", "127.0.0.1"],
      serverEnv(pg.url),
    );
    const [code, stderr] = await Promise.all([child.process.exited, child.stderr]);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`config error: PORT ${taken.port} on 127.0.0.1 is already in use by another process`);
  } finally {
    taken.stop(true);
  }
});

describe("without Redis (LISTEN/NOTIFY between the workers)", () => {
  let server: Workers;
  let pairs: Pair[];
  beforeAll(async () => {
    server = await serveWorkers(2, {
      MAX_SOCKETS_PER_USER: "20",
      // A bucket of 4 that regains one send a minute: six sends in a row are 4 taken and 2 refused.
      RATE_LIMIT_SENDS_PER_MINUTE: "1",
      RATE_LIMIT_SENDS_BURST: "4",
    });
    pairs = await seedPairs(pg.url, 3, 46_000_000);
  }, SLOW);

  test("two workers answer on one port, each named in /health and /metrics", async () => {
    const pids = await pidsOf(server.http, 2);
    expect([...pids.keys()].toSorted()).toEqual([0, 1]);
    expect(pids.get(0)).not.toBe(pids.get(1));
    const metrics = await fetch(`${server.http}/metrics`).then((response) => response.text());
    expect(metrics).toMatch(/^mystery_match_worker_info\{index="[01]",pid="\d+"\} 1$/m);
  });

  test(
    "events, presence and limits cross workers",
    async () => {
      const pair = pairs[0]!;
      const alice = await connect(server.ws, pair, pair.a);
      await alice.next("connected");
      // Several sockets of Bob: the kernel spreads them over both workers, and every one must hear Alice.
      const bobs: SocketClient[] = [];
      for (let i = 0; i < 8; i++) {
        const bob = await connect(server.ws, pair, pair.b);
        // Alice's socket is open, whichever worker holds it: presence is the parent's.
        expect((await bob.next("connected")).partner_online).toBe(true);
        bobs.push(bob);
      }
      // A long message of 4-byte characters: more than one NOTIFY can carry, so it goes in parts.
      const long = "😀".repeat(2000);
      alice.send({ type: "message", text: long, client_msg_id: "long" });
      await alice.next("ack");
      for (const bob of bobs) expect((await bob.next("message")).message.message).toBe(long);
      bobs[0]!.send({ type: "typing", is_typing: true });
      expect(await alice.next("typing")).toEqual({ type: "typing", is_typing: true });

      // One send bucket for every worker, whichever took each send.
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const reply = await call(server.http, "POST", "/api/mystery/send-message", {
          as: pair.a,
          body: { match_id: pair.matchId, message_text: `m${i}` },
        });
        statuses.push(reply.status);
      }
      // The socket's message took the bucket's first token.
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
    },
    SLOW,
  );

  test(
    "a worker that dies is restarted; its users go offline meanwhile",
    async () => {
      const pair = pairs[1]!;
      const before = await pidsOf(server.http, 2);
      // Both workers killed: Alice's socket drops, whichever held it.
      const alice = await connect(server.ws, pair, pair.a);
      await alice.next("connected");
      process.kill(before.get(0)!, "SIGKILL");
      process.kill(before.get(1)!, "SIGKILL");
      expect((await alice.closed).code).not.toBe(1000);
      const after = await pidsOf(server.http, 2);
      expect([...after.keys()].toSorted()).toEqual([0, 1]);
      for (const index of [0, 1]) expect(after.get(index)).not.toBe(before.get(index));
      const status = await call(server.http, "GET", `/api/mystery/chat/online-status/${pair.matchId}/${pair.b}`, {
        as: pair.b,
      });
      expect(status.body).toMatchObject({ success: true, is_online: false });
      expect(status.body.last_seen).toEqual(expect.any(String));
    },
    SLOW,
  );

  test(
    "after PostgreSQL restarts, each worker LISTENs again by itself and closes its sockets to catch up; events cross again",
    async () => {
      const pair = pairs[2]!;
      const before = await pidsOf(server.http, 2);
      // Alice and six sockets of Bob's from before the restart: the kernel spreads them over both workers.
      const users = [pair.a, pair.b, pair.b, pair.b, pair.b, pair.b, pair.b];
      const held: SocketClient[] = [];
      for (const userId of users) {
        const socket = await connect(server.ws, pair, userId);
        await socket.next("connected");
        held.push(socket);
      }
      await pg.stop();
      await pg.start();
      // A worker that LISTENs again heard nothing in between: every socket it held is closed with 1012,
      // and a client reconnecting with since= misses nothing.
      const closes = await Promise.all(held.map((socket) => socket.closed));
      expect(closes.map((closed) => closed.code)).toEqual(users.map(() => 1012));

      // Connected again, as the page does: events cross the workers, typing (which nothing stores)
      // until every Bob, on either worker, has heard it.
      const open = await Promise.all(users.map((userId) => eventuallyConnected(server.ws, pair, userId)));
      const heard = await eventually(
        async () => {
          // A socket a worker closed to catch up after these opened (its LISTEN came back later) opens again.
          for (const [i, socket] of open.entries()) {
            if (socket.ws.readyState !== WebSocket.OPEN)
              open[i] = await eventuallyConnected(server.ws, pair, users[i]!);
          }
          open[0]!.send({ type: "typing", is_typing: true });
          return open.slice(1).every((bob) => bob.count("typing") > 0);
        },
        30_000,
        200,
      );
      expect(heard).toBe(true);
      for (const socket of open) await socket.close();
      // The same workers: they reconnected (LISTEN included), none was restarted.
      expect(await pidsOf(server.http, 2)).toEqual(before);
    },
    SLOW,
  );

  test(
    "SIGTERM drains every worker and the parent exits 0",
    async () => {
      const pids = await pidsOf(server.http, 2);
      const socket = await connect(server.ws, pairs[2]!, pairs[2]!.a);
      await socket.next("connected");
      server.child.process.kill("SIGTERM");
      expect((await socket.closed).code).toBe(1001);
      expect(await server.child.process.exited).toBe(0);
      await server.child.ended;
      for (const pid of pids.values()) expect(alive(pid)).toBe(false);
    },
    SLOW,
  );
});

test(
  "with REDIS_URL the workers share through Redis",
  async () => {
    const server = await serveWorkers(2, { REDIS_URL: redis.url, REDIS_PREFIX: "workers", MAX_SOCKETS_PER_USER: "20" });
    const listening = await server.child.logged("listening");
    expect(listening).toMatchObject({ realtime: "redis", workers: 2 });
    const [pair] = await seedPairs(pg.url, 1, 46_100_000);
    const alice = await connect(server.ws, pair!, pair!.a);
    await alice.next("connected");
    const bobs = await Promise.all(Array.from({ length: 6 }, () => connect(server.ws, pair!, pair!.b)));
    for (const bob of bobs) await bob.next("connected");
    alice.send({ type: "message", text: "through redis" });
    for (const bob of bobs) expect((await bob.next("message")).message.message).toBe("through redis");
    server.child.process.kill("SIGTERM");
    expect(await server.child.process.exited).toBe(0);
  },
  SLOW,
);
