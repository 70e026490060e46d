// A third reference for bench/http.ts: a bare Bun.serve that runs each route's SQL (bench/sql/*.sql,
// the same files pgbench runs) through postgres.js and answers with the rows: what this machine
// gives a route with the database and nothing of ours (no Elysia, drizzle, auth, validation, metrics).
//
//   DATABASE_URL=postgres://… POOL=10 PORT=0 bun bench/bare-db-server.ts
//
// The caller is the user named by the token's `sub` (decoded, not verified) or by the path; the match
// comes from the path or the JSON body. pgbench's :u, :m, :now, :day, :expires become parameters;
// `\set x <integer>` and `\set x random(a, b) [/ d]` are evaluated per request; `\gset p` keeps a
// statement's row for later statements as :p<column>. BEGIN … COMMIT run as one transaction.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";

type Vars = Record<string, unknown>;
type Step =
  | { kind: "set"; name: string; value: () => unknown }
  | { kind: "query"; text: string; names: string[]; gset: string | null };

const sql = postgres(process.env.DATABASE_URL ?? "", { max: Number(process.env.POOL ?? 10), onnotice: () => {} });

/** `random(a, b) [/ d]` or an integer, as pgbench evaluates them (random bounds beyond 2^53 as text). */
function setter(expression: string): () => unknown {
  const random = /^random\((\d+),\s*(\d+)\)(?:\s*\/\s*([\d.]+))?$/.exec(expression);
  if (!random) return () => Number(expression);
  const [, low, high, divisor] = random as unknown as [string, string, string, string | undefined];
  if (Number(high) > Number.MAX_SAFE_INTEGER) return () => String(randomBytes(6).readUIntBE(0, 6));
  const span = Number(high) - Number(low) + 1;
  return () => (Number(low) + Math.floor(Math.random() * span)) / (divisor ? Number(divisor) : 1);
}

function compile(file: string): { steps: Step[]; transaction: boolean } {
  const lines = readFileSync(join(import.meta.dir, "sql", file), "utf8")
    .split("\n")
    .filter((line) => !line.startsWith("--"));
  const steps: Step[] = [];
  let transaction = false;
  let pending = "";
  for (const line of lines) {
    const set = /^\\set (\w+) (.+)$/.exec(line);
    if (set) {
      steps.push({ kind: "set", name: set[1]!, value: setter(set[2]!.trim()) });
      continue;
    }
    pending += `${line}\n`;
    const end = /;\s*$|\\gset (\w+)\s*$/.exec(line);
    if (!end) continue;
    const statement = pending.replace(/;\s*$|\\gset \w+\s*$/, "").trim();
    pending = "";
    if (/^(BEGIN|COMMIT)$/i.test(statement)) {
      transaction = true;
      continue;
    }
    const names: string[] = [];
    const text = statement.replace(/(?<!:):(\w+)/g, (_, name: string) => {
      if (!names.includes(name)) names.push(name);
      return `$${names.indexOf(name) + 1}`;
    });
    steps.push({ kind: "query", text, names, gset: end[1] ?? null });
  }
  return { steps, transaction };
}

const scripts = {
  stats: compile("stats.sql"),
  "my-matches": compile("my-matches.sql"),
  chat: compile("chat.sql"),
  send: compile("send-message.sql"),
  find: compile("find-match.sql"),
};

async function runScript(script: (typeof scripts)[keyof typeof scripts], vars: Vars): Promise<unknown> {
  const body = async (client: postgres.Sql | postgres.TransactionSql) => {
    let last: unknown[] = [];
    for (const step of script.steps) {
      if (step.kind === "set") {
        vars[step.name] = step.value();
        continue;
      }
      const parameters = step.names.map((name) => vars[name] as postgres.ParameterOrJSON<never>);
      last = await client.unsafe(step.text, parameters, { prepare: true });
      const row = last[0] as Record<string, unknown> | undefined;
      if (step.gset && row) for (const [column, value] of Object.entries(row)) vars[step.gset + column] = value;
    }
    return last;
  };
  return script.transaction ? sql.begin((tx) => body(tx)) : body(sql);
}

function callerOf(request: Request): number {
  const token = request.headers.get("authorization")?.split(" ")[1] ?? "";
  return Number(JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()).sub);
}

const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: process.env.HOST ?? "127.0.0.1",
  async fetch(request) {
    const url = new URL(request.url);
    const now = new Date();
    const vars: Vars = {
      u: callerOf(request),
      now: now.toISOString(),
      day: now.toISOString().slice(0, 10),
      expires: new Date(now.getTime() + 48 * 3600_000).toISOString(),
    };
    const segments = url.pathname.split("/");
    let kind: keyof typeof scripts;
    if (url.pathname.startsWith("/api/mystery/stats/")) kind = "stats";
    else if (url.pathname.startsWith("/api/mystery/my-matches/")) kind = "my-matches";
    else if (url.pathname.startsWith("/api/mystery/chat/")) {
      kind = "chat";
      vars.m = Number(segments.at(-1));
    } else if (url.pathname === "/api/mystery/send-message") {
      kind = "send";
      vars.m = ((await request.json()) as { match_id: number }).match_id;
    } else if (url.pathname === "/api/mystery/find-match") {
      kind = "find";
      await request.text();
    } else return new Response("not found", { status: 404 });
    return Response.json(await runScript(scripts[kind], vars));
  },
});
console.log(JSON.stringify({ msg: "listening", url: `http://${server.hostname}:${server.port}` }));
