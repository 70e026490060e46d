// The server process as an operator runs it: graceful SIGTERM (sockets closed with 1001, exit 0) and
// one process per embedded data directory.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signToken } from "../../src/modules/auth/jwt";
import { JWT_SECRET } from "../helpers/app";
import { startServer } from "../helpers/process";
import { SocketClient } from "../helpers/socket";

// The child runs on an embedded database of its own (initdb on first start: slow on a busy machine).
const SLOW = 180_000;
const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
let dataDir: string;
const env = () => ({ DATA_DIR: dataDir, JWT_SECRET, DATABASE_URL: "" });

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), "mm-serve-test-"));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function api(base: string, method: string, path: string, userId: number, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${signToken(JWT_SECRET, userId, 600)}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

test(
  "SIGTERM closes open sockets with 1001, releases the data directory and exits 0",
  async () => {
    const server = await startServer(env());
    const [a, b] = [17_000_001, 17_000_002];
    for (const [id, gender] of [
      [a, "female"],
      [b, "male"],
    ] as const) {
      expect(
        (await api(server.http, "PUT", "/api/mystery/profile", id, { gender, age: 30, city: "Oslo" })).status,
      ).toBe(200);
    }
    const found = await api(server.http, "POST", "/api/mystery/find-match", a, {});
    expect(found.status).toBe(200);
    const socket = await SocketClient.open(
      `${server.ws}/api/mystery/ws/chat/${found.body.match_id}/${a}?token=${signToken(JWT_SECRET, a, 600)}`,
    );
    await socket.next("connected");
    expect(existsSync(join(dataDir, "mystery-match.pid"))).toBe(true);

    const exitCode = server.stop();
    expect((await socket.closed).code).toBe(1001);
    expect(await exitCode).toBe(0);
    expect(existsSync(join(dataDir, "mystery-match.pid"))).toBe(false);
  },
  SLOW,
);

test(
  "a second process on the same data directory is refused with one line naming the first",
  async () => {
    const server = await startServer(env());
    try {
      const second = Bun.spawn(["bun", MAIN, "migrate"], {
        env: { ...process.env, ...env() },
        stdout: "pipe",
        stderr: "pipe",
      });
      const [stderr, code] = await Promise.all([new Response(second.stderr).text(), second.exited]);
      expect(code).toBe(1);
      expect(stderr.trim()).toBe(
        `error: the embedded database in ${dataDir} is in use by process ${server.process.pid} ` +
          `(stop it first; remove ${join(dataDir, "mystery-match.pid")} if that process is not this server)`,
      );
    } finally {
      expect(await server.stop()).toBe(0);
    }
  },
  SLOW,
);

test(
  "a request in flight when SIGTERM arrives is still answered, then the process exits 0",
  async () => {
    const server = await startServer(env());
    const id = 17_000_011;
    // The body arrives in two halves; the server gets SIGTERM between them.
    const body = JSON.stringify({ gender: "female", age: 41, city: "Bergen" });
    let sendRest!: () => void;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(body.slice(0, 10)));
        sendRest = () => {
          controller.enqueue(new TextEncoder().encode(body.slice(10)));
          controller.close();
        };
      },
    });
    const reply = fetch(`${server.http}/api/mystery/profile`, {
      method: "PUT",
      headers: { authorization: `Bearer ${signToken(JWT_SECRET, id, 600)}`, "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    // Nothing in another process can be awaited here: give the server time to accept the connection
    // and read the first half (a connection not yet accepted when it stops listening is refused).
    await Bun.sleep(500);
    const exitCode = server.stop();
    await Bun.sleep(500); // and time to act on SIGTERM, so that the rest arrives during the shutdown
    sendRest();
    const response = await reply;
    expect([response.status, ((await response.json()) as any).profile?.age]).toEqual([200, 41]);
    expect(await exitCode).toBe(0);
  },
  SLOW,
);
