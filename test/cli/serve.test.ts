// The server process as an operator runs it: graceful SIGTERM (sockets closed with 1001, exit 0) and
// one process per embedded data directory.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signToken } from "../../src/modules/auth/jwt";
import { JWT_SECRET } from "../helpers/app";
import { MAIN, spawnLogged } from "../helpers/child";
import { startServer } from "../helpers/process";
import { SocketClient } from "../helpers/socket";

// The child runs on an embedded database of its own (initdb on first start: slow on a busy machine).
const SLOW = 180_000;
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
    const child = spawnLogged({ ...env(), PORT: "0", HOST: "127.0.0.1" });
    const server = { http: (await child.logged("listening")).url as string };
    const id = 17_000_011;
    // The body arrives in two halves; the server gets SIGTERM between them. A plain socket, so
    // that the server's "100 Continue" says when the request has reached its handler.
    const body = JSON.stringify({ gender: "female", age: 41, city: "Bergen" });
    const request = rawRequest(
      server.http,
      [
        "PUT /api/mystery/profile HTTP/1.1",
        `Host: ${new URL(server.http).host}`,
        `Authorization: Bearer ${signToken(JWT_SECRET, id, 600)}`,
        "Content-Type: application/json",
        `Content-Length: ${Buffer.byteLength(body)}`,
        "Expect: 100-continue",
        "Connection: close",
      ],
      body.slice(0, 10),
    );
    // The server accepted the connection and is handling the request (a connection it has not
    // accepted yet when it stops listening is refused).
    await request.continued;
    child.process.kill("SIGTERM");
    const exitCode = child.process.exited;
    // It acts on SIGTERM: it logs this just before it stops listening, in the same turn, so the
    // rest arrives during the shutdown.
    expect(await child.logged("shutting down")).toMatchObject({ level: "info", signal: "SIGTERM" });
    request.send(body.slice(10));
    const response = await request.response;
    expect([response.status, response.body?.profile?.age]).toEqual([200, 41]);
    expect(await exitCode).toBe(0);
  },
  SLOW,
);

/**
 * An HTTP/1.1 request written by hand on a plain socket: `head` and the start of the body now,
 * the rest with send(). `continued` resolves on the server's "100 Continue", `response` with the
 * final reply once the server closes the connection.
 */
function rawRequest(base: string, head: string[], bodyStart: string) {
  const { hostname, port } = new URL(base);
  const socket = net.connect(Number(port), hostname);
  const continued = Promise.withResolvers<void>();
  const closed = Promise.withResolvers<string>();
  let received = "";
  const interim = "HTTP/1.1 100 Continue\r\n\r\n";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    received += chunk;
    if (received.startsWith(interim)) continued.resolve();
  });
  socket.on("close", () => {
    continued.reject(new Error(`closed before 100 Continue: ${JSON.stringify(received)}`));
    closed.resolve(received);
  });
  socket.on("error", (error) => {
    continued.reject(error);
    closed.reject(error);
  });
  socket.write(`${head.join("\r\n")}\r\n\r\n${bodyStart}`);
  return {
    continued: continued.promise,
    send: (rest: string) => socket.write(rest),
    // Status 0 and body null when the connection closed without a reply.
    response: closed.promise.then((text) => {
      const final = text.startsWith(interim) ? text.slice(interim.length) : text;
      const split = final.indexOf("\r\n\r\n");
      if (split < 0) return { status: 0, body: null };
      const headers = final.slice(0, split);
      expect(headers).not.toMatch(/transfer-encoding: chunked/i);
      return { status: Number(headers.split(" ")[1]), body: JSON.parse(final.slice(split + 4)) };
    }),
  };
}
