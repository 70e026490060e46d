// A request is routed by its URL's path, whatever its Host header: a short Host must not shift the path a proxy checked.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestContext, type TestContext } from "../helpers/app";

let ctx: TestContext;
let port: number;
beforeAll(async () => {
  ctx = await createTestContext();
  port = Number(new URL(ctx.listen().http).port);
});
afterAll(() => ctx.close());

/** Sends one raw HTTP/1.1 request over a real socket and returns the status line's code. */
async function rawStatus(path: string, host: string): Promise<number> {
  const { promise, resolve, reject } = Promise.withResolvers<number>();
  let received = "";
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_socket, chunk) {
        received += chunk.toString();
        const status = /^HTTP\/1\.1 (\d{3})/.exec(received);
        if (status) resolve(Number(status[1]));
      },
      close() {
        reject(new Error(`closed before a status line: ${JSON.stringify(received)}`));
      },
      error(_socket, error) {
        reject(error);
      },
    },
  });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  try {
    return await promise;
  } finally {
    socket.end();
  }
}

describe("routing ignores the Host header", () => {
  for (const host of ["x", "ab", "abc", "localhost", `127.0.0.1:${0}`]) {
    test(`Host: ${host} — /zz/health is no route, /health is`, async () => {
      expect(await rawStatus("/zz/health", host)).toBe(404);
      expect(await rawStatus("/health", host)).toBe(200);
      expect(await rawStatus("/api/mystery/zz/profile", host)).toBe(404);
    });
  }

  test("app.handle with a one-letter host routes by the path too", async () => {
    const shifted = await ctx.app.handle(new Request("http://x/zz/health"));
    expect(shifted.status).toBe(404);
    const straight = await ctx.app.handle(new Request("http://x/health"));
    expect([straight.status, await straight.json()]).toEqual([200, { success: true, status: "ok" }]);
  });
});
