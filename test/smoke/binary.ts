// Smoke test of the built executable, run by .ci/run: `bun test/smoke/binary.ts dist/mystery-match [embedded|postgres]`.
// Copies the binary alone into an empty directory and drives it as a user would: seed, serve, /ready, a
// second serve refused on the port in use, a token from `token`, a profile and its photo, a match with a seeded user, a
// message, SIGTERM → exit 0. Embedded mode then restarts it to check the data was kept. Prints "ok - …" /
// "not ok - …" per step; exit 1 on failure.
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { finished } from "../helpers/child";
import { facePixels, jpegOf } from "../helpers/images";

const [binaryArg, mode = "embedded"] = process.argv.slice(2);
if (!binaryArg || (mode !== "embedded" && mode !== "postgres")) {
  console.error("usage: bun test/smoke/binary.ts <binary> [embedded|postgres]");
  process.exit(2);
}
const ADMIN_URL = process.env.SMOKE_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const READY_WITHIN_MS = 120_000;

let failures = 0;
async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const value = await run();
    console.log(`ok - ${mode}: ${name} (${Math.round(performance.now() - started)} ms)`);
    return value;
  } catch (error) {
    failures++;
    console.log(`not ok - ${mode}: ${name}: ${(error as Error).message}`);
    throw error;
  }
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const dir = mkdtempSync(join(tmpdir(), "mm-smoke-"));
const binary = join(dir, "mystery-match");
copyFileSync(resolve(binaryArg), binary);
let env: Record<string, string> = { PATH: "/usr/bin:/bin", HOME: dir, SWEEP_INTERVAL_SECONDS: "3600" };
let dropDatabase = async () => {};

/** Runs a command of the binary to completion; returns its stdout. */
async function run(...args: string[]): Promise<string> {
  const { stdout, stderr, code } = await finished(
    Bun.spawn([binary, ...args], { cwd: dir, env, stdout: "pipe", stderr: "pipe" }),
  );
  check(code === 0, `${args.join(" ")} exited ${code}: ${stderr.trim() || stdout.trim()}`);
  return stdout;
}

interface Server {
  child: Bun.Subprocess<"ignore", "pipe", "pipe">;
  http: string;
  listening: Record<string, unknown>;
}

/** Starts `serve` on a free port and resolves with the URL its "listening" line names. */
async function serve(): Promise<Server> {
  const child = Bun.spawn([binary, "serve", "--port", "0", "--host", "127.0.0.1"], {
    cwd: dir,
    env,
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  const deadline = Date.now() + READY_WITHIN_MS;
  while (Date.now() < deadline) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`exited before listening: ${buffered}${await new Response(child.stderr).text()}`);
    buffered += decoder.decode(value);
    const line = buffered.split("\n").find((text) => text.includes('"msg":"listening"'));
    if (!line) continue;
    reader.releaseLock();
    void child.stdout.pipeTo(new WritableStream());
    void new Response(child.stderr).text();
    const listening = JSON.parse(line) as Record<string, unknown>;
    return { child, http: String(listening.url), listening };
  }
  child.kill("SIGKILL");
  throw new Error("did not listen in time");
}

async function api(server: Server, method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${server.http}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

async function ready(server: Server): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  for (;;) {
    const status = await fetch(`${server.http}/ready`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    check(Date.now() < deadline, `/ready answered ${status} for ${READY_WITHIN_MS} ms`);
    await Bun.sleep(100);
  }
}

async function stop(server: Server): Promise<void> {
  server.child.kill("SIGTERM");
  const code = await Promise.race([server.child.exited, Bun.sleep(15_000).then(() => "timeout" as const)]);
  if (code === "timeout") server.child.kill("SIGKILL");
  check(code === 0, `exit code after SIGTERM: ${code}`);
}

try {
  if (mode === "postgres") {
    const name = `mm_smoke_${process.pid}`;
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name}`);
    await admin.unsafe(`CREATE DATABASE ${name}`);
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    env = { ...env, DATABASE_URL: url.toString(), JWT_SECRET: "smoke-test-secret-of-at-least-32-characters" };
    dropDatabase = async () => {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    };
  }

  await step("version", async () => check((await run("version")).startsWith("mystery-match "), "no version line"));
  await step("migrate", () => run("migrate"));
  await step("seed --users 5", () => run("seed", "--users", "5"));

  const server = await step("serve prints where it listens, /swagger and the database", async () => {
    const started = await serve();
    const { listening } = started;
    check(String(listening.swagger).endsWith("/swagger"), `no swagger URL in ${JSON.stringify(listening)}`);
    const database = String(listening.database);
    if (mode === "embedded") {
      check(database.includes(dir), `database ${database} is not in ${dir}`);
      check(String(listening.token).includes("token <user_id>"), "no token hint");
      // The embedded database on 127.0.0.1: the demo sign-in is on, and the line says so.
      check(String(listening.demo).startsWith("on: anyone who can reach"), `demo: ${listening.demo}`);
    } else {
      check(database.startsWith("PostgreSQL 127.0.0.1:5432/mm_smoke_"), `database: ${database}`);
      check(!JSON.stringify(listening).includes("smoke-test-secret"), "the secret is logged");
      check(listening.demo === undefined, `demo: ${listening.demo}`);
    }
    return started;
  });
  await step("/ready answers 200", () => ready(server));
  await step("a second serve on the port in use stops with one line, exit 1", async () => {
    const { port } = new URL(server.http);
    // On the embedded database another data directory, or its lock would refuse it first.
    const dataDir = mode === "embedded" ? ["--data-dir", join(dir, "second")] : [];
    const child = Bun.spawn([binary, "serve", "--port", port, "--host", "127.0.0.1", ...dataDir], {
      cwd: dir,
      env,
      stdout: "ignore",
      stderr: "pipe",
    });
    const code = await Promise.race([child.exited, Bun.sleep(READY_WITHIN_MS).then(() => "running" as const)]);
    if (code === "running") child.kill("SIGKILL");
    const stderr = await new Response(child.stderr).text();
    const expected = `config error: PORT ${port} on 127.0.0.1 is already in use by another process\n`;
    check(code === 1 && stderr === expected, `exit ${code}: ${JSON.stringify(stderr)}`);
  });

  const me = 900_000_001;
  const token = await step("token <user_id> prints a token the server accepts", async () => {
    const printed = (await run("token", String(me), "--ttl", "1h")).trim();
    check(/^[\w-]+\.[\w-]+\.[\w-]+$/.test(printed), `not a JWT: ${printed}`);
    return printed;
  });
  await step("PUT /api/mystery/profile", async () => {
    const reply = await api(server, "PUT", "/api/mystery/profile", token, { gender: "female", age: 29, city: "Porto" });
    check(reply.status === 200 && reply.body.profile.user_id === me, `${reply.status} ${JSON.stringify(reply.body)}`);
  });
  // The image codecs are WebAssembly files embedded in the binary and run in a Worker that is its second entry point.
  await step("PUT /api/mystery/profile/photo decodes in the binary's worker; the link serves a JPEG", async () => {
    const form = new FormData();
    form.append("photo", new File([(await jpegOf(facePixels(800, 600))) as Uint8Array<ArrayBuffer>], "me.jpg"));
    const upload = await fetch(`${server.http}/api/mystery/profile/photo`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    const body = await upload.json();
    check(upload.status === 200 && body.photo?.width === 800, `${upload.status} ${JSON.stringify(body)}`);
    const { body: own } = await api(server, "GET", "/api/mystery/profile", token);
    const served = await fetch(`${server.http}${own.profile.photo.url}`);
    const bytes = new Uint8Array(await served.arrayBuffer());
    check(served.status === 200 && bytes[0] === 0xff && bytes[1] === 0xd8, `${served.status}, ${bytes.length} bytes`);
  });
  const matchId = await step("POST /api/mystery/find-match pairs with a seeded user", async () => {
    const reply = await api(server, "POST", "/api/mystery/find-match", token, {});
    check(
      reply.status === 200 && Number.isInteger(reply.body.match_id),
      `${reply.status} ${JSON.stringify(reply.body)}`,
    );
    return reply.body.match_id as number;
  });
  await step("POST /api/mystery/send-message", async () => {
    const body = { match_id: matchId, message_text: "hello from the smoke test" };
    const reply = await api(server, "POST", "/api/mystery/send-message", token, body);
    check(reply.status === 200 && reply.body.success === true, `${reply.status} ${JSON.stringify(reply.body)}`);
  });
  await step("GET /metrics counts the requests", async () => {
    const text = await fetch(`${server.http}/metrics`).then((response) => response.text());
    check(text.includes('route="/api/mystery/send-message",status="200"} 1'), "send-message not counted");
  });
  await step("SIGTERM exits 0", () => stop(server));

  if (mode === "embedded") {
    const again = await step("a restart serves the same data directory", async () => {
      const started = await serve();
      await ready(started);
      return started;
    });
    await step("the message is still there after the restart", async () => {
      const reply = await api(again, "GET", `/api/mystery/chat/${matchId}`, token);
      const texts = (reply.body.messages ?? []).map((message: { message: string }) => message.message);
      check(texts.includes("hello from the smoke test"), `${reply.status} ${JSON.stringify(reply.body)}`);
    });
    await step("the photo is still served after the restart", async () => {
      const { body } = await api(again, "GET", "/api/mystery/profile", token);
      const served = await fetch(`${again.http}${body.profile.photo?.url}`);
      check(served.status === 200, `${served.status} ${JSON.stringify(body.profile.photo)}`);
    });
    await step("SIGTERM exits 0 again", () => stop(again));
  }
} catch {
  // Already reported by step(); the cleanup below still runs.
} finally {
  await dropDatabase().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failures === 0 ? 0 : 1);
