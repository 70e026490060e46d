// The limits counted per client address (issue 13, item 9): failed Telegram sign-ins, demo tokens and
// failed operator-token attempts. Each attack runs over a real socket, as a client or a proxy sends it;
// TRUST_PROXY=1 makes the last hop of X-Forwarded-For the client's address.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { signInitData } from "../../src/modules/auth/telegram";
import { BOT_TOKEN, createTestContext, ManualClock, type TestContext } from "../helpers/app";

// Every limit counts per minute of this clock, which moves only when a test moves it.
const clock = new ManualClock(Date.now());
// Each test starts 15 s into a window of its own, which no test's duration can roll over.
beforeEach(() => clock.nextWindow(15_000));

const OPERATOR_TOKEN = "an-operator-token-of-at-least-32-characters";

const validInitData = (userId: number) =>
  signInitData(BOT_TOKEN, {
    auth_date: String(Math.floor(Date.now() / 1000)),
    user: JSON.stringify({ id: userId }),
  });
const forgedInitData = (userId: number) =>
  signInitData("999:not-the-bot-token", {
    auth_date: String(Math.floor(Date.now() / 1000)),
    user: JSON.stringify({ id: userId }),
  });

interface Server {
  ctx: TestContext;
  http: string;
}

async function serve(env: Record<string, string>): Promise<Server> {
  const ctx = await createTestContext({ ADMIN_TOKEN: OPERATOR_TOKEN, ...env }, { clock: clock.now });
  return { ctx, http: ctx.listen().http };
}

/** One request over a real socket from 127.0.0.1; `forwardedFor` as a proxy (or a liar) sets it. */
async function send(
  server: Server,
  method: string,
  path: string,
  options: { body?: unknown; authorization?: string; forwardedFor?: string } = {},
) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  if (options.forwardedFor !== undefined) headers["x-forwarded-for"] = options.forwardedFor;
  const response = await fetch(`${server.http}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  return { status: response.status, body: (await response.json()) as any, headers: response.headers };
}

const signIn = (server: Server, initData: string, forwardedFor?: string) =>
  send(server, "POST", "/api/auth/telegram", { body: { init_data: initData }, forwardedFor });

describe("POST /api/auth/telegram: only failures count, per client address", () => {
  let direct: Server;
  let proxied: Server;
  beforeAll(async () => {
    direct = await serve({ RATE_LIMIT_AUTH_PER_MINUTE: "3" });
    proxied = await serve({ RATE_LIMIT_AUTH_PER_MINUTE: "3", TRUST_PROXY: "1" });
  });
  afterAll(async () => {
    await direct.ctx.close();
    await proxied.ctx.close();
  });

  test("successful sign-ins never count: 20 in a minute from one address all succeed", async () => {
    const statuses = [];
    for (let i = 0; i < 20; i++) statuses.push((await signIn(direct, validInitData(15_000_001))).status);
    expect(statuses).toEqual(Array(20).fill(200));
    // The address still has its whole budget of failures.
    const failures = [];
    for (let i = 0; i < 4; i++) failures.push((await signIn(direct, forgedInitData(15_000_001))).status);
    expect(failures).toEqual([401, 401, 401, 429]);
  });

  test("past the failures' limit the address is refused before its initData is checked, valid or not", async () => {
    for (let i = 0; i < 3; i++) expect((await signIn(direct, forgedInitData(15_000_002))).status).toBe(401);
    const limited = await signIn(direct, validInitData(15_000_002));
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ success: false, error: "rate_limited" });
    expect(limited.headers.get("retry-after")).toBe("45");
    clock.nextWindow();
    expect((await signIn(direct, validInitData(15_000_002))).status).toBe(200);
  });

  test("without TRUST_PROXY, X-Forwarded-For is ignored: a client cannot pick a fresh address", async () => {
    const statuses = [];
    for (let i = 1; i <= 5; i++)
      statuses.push((await signIn(direct, forgedInitData(15_000_003), `10.0.0.${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });

  test("behind a proxy (TRUST_PROXY=1) one client's failures lock out no one else", async () => {
    // Every request comes from the proxy's own address; the proxy appends the address it saw.
    const attacker = "203.0.113.7";
    const statuses = [];
    for (let i = 1; i <= 5; i++) {
      // Whatever the attacker writes into the header comes before the hop the proxy adds.
      statuses.push((await signIn(proxied, forgedInitData(15_000_004), `198.51.100.${i}, ${attacker}`)).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const victim = "198.51.100.1";
    expect((await signIn(proxied, validInitData(15_000_005), victim)).status).toBe(200);
    expect((await signIn(proxied, forgedInitData(15_000_005), victim)).status).toBe(401);
    // IPv6 hops, and a proxy that writes the port, count per address too.
    expect((await signIn(proxied, validInitData(15_000_006), "2001:db8::5")).status).toBe(200);
    expect((await signIn(proxied, validInitData(15_000_006), `${victim}, [2001:db8::6]:4711`)).status).toBe(200);
    // The attacker is still refused, whichever first hops they claim.
    expect((await signIn(proxied, validInitData(15_000_004), `::1, ${attacker}`)).status).toBe(429);
  });
});

describe("POST /api/demo/token: 10 per minute per client address", () => {
  let direct: Server;
  let proxied: Server;
  beforeAll(async () => {
    direct = await serve({ DEMO: "1" });
    proxied = await serve({ DEMO: "1", TRUST_PROXY: "1" });
  });
  afterAll(async () => {
    await direct.ctx.close();
    await proxied.ctx.close();
  });

  const demoToken = (server: Server, userId: number, forwardedFor?: string) =>
    send(server, "POST", "/api/demo/token", { body: { user_id: userId }, forwardedFor });

  test("the eleventh in a minute is 429 with Retry-After and mints nothing; the next minute mints again", async () => {
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await demoToken(direct, 15_100_000 + i)).status);
    expect(statuses).toEqual(Array(10).fill(200));
    const limited = await demoToken(direct, 15_100_010);
    expect([limited.status, limited.body.error, limited.body.token]).toEqual([429, "rate_limited", undefined]);
    expect(limited.headers.get("retry-after")).toBe("45");
    clock.nextWindow();
    expect((await demoToken(direct, 15_100_010)).status).toBe(200);
  });

  test("behind a proxy each client address has its own ten", async () => {
    for (let i = 0; i < 10; i++) expect((await demoToken(proxied, 15_100_100 + i, "203.0.113.9")).status).toBe(200);
    expect((await demoToken(proxied, 15_100_110, "203.0.113.9")).status).toBe(429);
    expect((await demoToken(proxied, 15_100_111, "203.0.113.10")).status).toBe(200);
  });
});

describe("the operator token: failed attempts are limited per client address", () => {
  let direct: Server;
  let proxied: Server;
  beforeAll(async () => {
    direct = await serve({});
    proxied = await serve({ TRUST_PROXY: "1" });
  });
  afterAll(async () => {
    await direct.ctx.close();
    await proxied.ctx.close();
  });

  const reports = (server: Server, authorization?: string, forwardedFor?: string) =>
    send(server, "GET", "/api/admin/reports", { authorization, forwardedFor });

  test("after 10 failures in a minute the address gets 429 without its token being checked, the right one too", async () => {
    const guesses = [];
    for (let i = 0; i < 10; i++) guesses.push((await reports(direct, `Bearer guess-${i}`)).status);
    expect(guesses).toEqual(Array(10).fill(401));
    const limited = await reports(direct, `Bearer ${OPERATOR_TOKEN}`);
    expect([limited.status, limited.body.error]).toEqual([429, "rate_limited"]);
    expect(limited.headers.get("retry-after")).toBe("45");
    // No credential at all is a failed attempt too, refused the same way.
    expect((await reports(direct)).status).toBe(429);
    clock.nextWindow();
    expect((await reports(direct, `Bearer ${OPERATOR_TOKEN}`)).status).toBe(200);
  });

  test("successful operator calls never count", async () => {
    const statuses = [];
    for (let i = 0; i < 30; i++) statuses.push((await reports(direct, `Bearer ${OPERATOR_TOKEN}`)).status);
    expect(statuses).toEqual(Array(30).fill(200));
    const guesses = [];
    for (let i = 0; i < 11; i++) guesses.push((await reports(direct, "Bearer wrong")).status);
    expect(guesses).toEqual([...Array(10).fill(401), 429]);
  });

  test("behind a proxy another address keeps its budget", async () => {
    for (let i = 0; i < 10; i++) expect((await reports(proxied, "Bearer wrong", "203.0.113.20")).status).toBe(401);
    expect((await reports(proxied, `Bearer ${OPERATOR_TOKEN}`, "203.0.113.20")).status).toBe(429);
    expect((await reports(proxied, `Bearer ${OPERATOR_TOKEN}`, "203.0.113.21")).status).toBe(200);
    expect((await reports(proxied, "Bearer wrong", "203.0.113.21")).status).toBe(401);
  });
});
