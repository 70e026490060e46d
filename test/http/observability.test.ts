// Operations: request ids, one log line per request, Prometheus metrics with routes, statuses and sockets.
import { afterAll, beforeAll, describe, expect, spyOn, test } from "bun:test";
import { createApp } from "../../src/http/app";
import { signToken } from "../../src/modules/auth/jwt";
import { createTestContext, JWT_SECRET, type TestContext } from "../helpers/app";
import { SocketClient } from "../helpers/socket";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ LOG_REQUESTS: "1" });
});
afterAll(() => ctx.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Elysia runs after-response hooks (where requests are counted and logged) in a setImmediate
 * callback queued when the reply is made: one more turn of that queue runs them.
 */
const hooksRan = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The value of one sample line of /metrics, or undefined when absent. */
async function sample(line: string): Promise<number | undefined> {
  await hooksRan();
  const text = (await ctx.request("GET", "/metrics")).body as string;
  const found = text.split("\n").find((candidate) => candidate.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe("x-request-id", () => {
  test("a new id is made for a request without one", async () => {
    expect((await ctx.request("GET", "/health")).headers.get("x-request-id")).toMatch(UUID);
  });

  test("a sane incoming id is kept, also on errors", async () => {
    const reply = await ctx.request("GET", "/no/such/route", { headers: { "x-request-id": "edge-42.a:b_c" } });
    expect([reply.status, reply.headers.get("x-request-id")]).toEqual([404, "edge-42.a:b_c"]);
  });

  test("an incoming id that is too long or has odd characters is replaced", async () => {
    for (const bad of ["x".repeat(129), "has space", 'quote"d', "new\tline"]) {
      const reply = await ctx.request("GET", "/health", { headers: { "x-request-id": bad } });
      expect(reply.headers.get("x-request-id")).toMatch(UUID);
    }
  });
});

describe("request log", () => {
  test("one JSON line per request with its id, route pattern and status, and no query string", async () => {
    const spy = spyOn(console, "log");
    try {
      const id = `log-test-${Math.random()}`;
      const reply = await ctx.request("GET", "/api/mystery/chat/123?before_id=5&token=secret", {
        as: 77,
        headers: { "x-request-id": id },
      });
      await hooksRan();
      const lines = spy.mock.calls.map((call) => JSON.parse(String(call[0]))).filter((line) => line.id === id);
      expect(lines).toEqual([
        {
          time: expect.any(String),
          level: "info",
          msg: "request",
          id: reply.headers.get("x-request-id"),
          method: "GET",
          path: "/api/mystery/chat/123",
          route: "/api/mystery/chat/:match_id",
          status: reply.status,
          ms: expect.any(Number),
        },
      ]);
    } finally {
      spy.mockRestore();
    }
  });
});

describe("GET /metrics", () => {
  test("is Prometheus text", async () => {
    const reply = await ctx.request("GET", "/metrics");
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(reply.body).toContain("# TYPE mystery_match_http_requests_total counter\n");
    expect(reply.body).toContain("# TYPE mystery_match_http_request_duration_seconds histogram\n");
  });

  test("counts requests by route pattern and status, unknown paths under one label", async () => {
    const ok = 'mystery_match_http_requests_total{method="GET",route="/health",status="200"}';
    const missing = 'mystery_match_http_requests_total{method="GET",route="unmatched",status="404"}';
    const unauthorized = 'mystery_match_http_requests_total{method="GET",route="/api/mystery/profile",status="401"}';
    const invalid = 'mystery_match_http_requests_total{method="PUT",route="/api/mystery/profile",status="422"}';
    const before = await Promise.all([ok, missing, unauthorized, invalid].map(sample));
    await ctx.request("GET", "/health");
    await ctx.request("GET", "/health");
    await ctx.request("GET", `/nope/${Math.random()}`);
    await ctx.request("GET", "/api/mystery/profile");
    await ctx.request("PUT", "/api/mystery/profile", { as: 78, body: { gender: "robot" } });
    const after = await Promise.all([ok, missing, unauthorized, invalid].map(sample));
    expect(after).toEqual([(before[0] ?? 0) + 2, (before[1] ?? 0) + 1, (before[2] ?? 0) + 1, (before[3] ?? 0) + 1]);
  });

  test("the latency histogram's buckets are cumulative and end with the count", async () => {
    await ctx.request("GET", "/ready");
    const labels = 'method="GET",route="/ready"';
    const count = await sample(`mystery_match_http_request_duration_seconds_count{${labels}}`);
    const inf = await sample(`mystery_match_http_request_duration_seconds_bucket{${labels},le="+Inf"}`);
    const fast = await sample(`mystery_match_http_request_duration_seconds_bucket{${labels},le="0.005"}`);
    expect(count).toBeGreaterThanOrEqual(1);
    expect(inf).toBe(count);
    expect(fast!).toBeLessThanOrEqual(count!);
  });

  test("shows open sockets and the database pool", async () => {
    const base = ctx.listen();
    const [a, b] = [16_000_001, 16_000_002];
    await ctx.addUsers({ id: a }, { id: b });
    const matchId = await ctx.addMatch(a, b);
    expect(await sample("mystery_match_websockets_open")).toBe(0);
    const socket = await SocketClient.open(
      `${base.ws}/api/mystery/ws/chat/${matchId}/${a}?token=${signToken(JWT_SECRET, a, 600)}`,
    );
    await socket.next("connected");
    expect(await sample("mystery_match_websockets_open")).toBe(1);
    await socket.close();
    const driver = ctx.config.databaseUrl === null ? "pglite" : "postgres";
    expect(await sample(`mystery_match_db_pool_max_connections{driver="${driver}"}`)).toBe(
      driver === "pglite" ? 1 : ctx.config.dbPoolSize,
    );
    // Only the /metrics request itself is in flight while it renders; no query is.
    expect(await sample(`mystery_match_db_queries_in_flight{driver="${driver}"}`)).toBe(0);
    expect(await sample(`mystery_match_db_transactions_open{driver="${driver}"}`)).toBe(0);
    expect(await sample("mystery_match_http_requests_in_flight")).toBe(1);
  });
});

describe("GET /metrics, chat writes", () => {
  test("counts the messages that concurrent sends stored together", async () => {
    const [a, b] = [16_000_011, 16_000_012];
    await ctx.addUsers({ id: a }, { id: b });
    const matchId = await ctx.addMatch(a, b);
    const before = (await sample("mystery_match_messages_batched_total")) ?? Number.NaN;
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        ctx.request("POST", "/api/mystery/send-message", {
          as: i % 2 ? a : b,
          body: { match_id: matchId, message_text: `message ${i}` },
        }),
      ),
    );
    expect(replies.map((reply) => reply.status)).toEqual(replies.map(() => 200));
    expect(replies.map((reply) => reply.body.message_count).sort((x: number, y: number) => x - y)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    // Five writes at most run at once (half the pool): the other sends waited and went together.
    expect((await sample("mystery_match_messages_batched_total"))! - before).toBeGreaterThan(1);
    expect(await sample("mystery_match_message_batches_total")).toBeGreaterThan(0);
  });
});

describe("unhandled errors", () => {
  test("are logged with the request's id and path, never its query string", async () => {
    const spy = spyOn(console, "error");
    try {
      const failing = createApp({ db: ctx.db, config: ctx.config, realtime: ctx.realtime, activity: ctx.activity }).get(
        "/boom",
        () => {
          throw new Error("kaboom");
        },
      );
      const reply = await failing.handle(
        new Request("http://localhost/boom?token=secret", { headers: { "x-request-id": "boom-1" } }),
      );
      expect(reply.status).toBe(500);
      const lines = spy.mock.calls.map((call) => JSON.parse(String(call[0]))).filter((line) => line.id === "boom-1");
      expect(lines).toEqual([
        {
          time: expect.any(String),
          level: "error",
          msg: "unhandled error",
          id: "boom-1",
          method: "GET",
          path: "/boom",
          error: "Error: kaboom",
        },
      ]);
    } finally {
      spy.mockRestore();
    }
  });
});
