// A child process whose JSON log lines (stdout) the test can await, and whose stderr it keeps.
import { readdirSync, readFileSync } from "node:fs";
import type { Subprocess } from "bun";

export const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
export const ROOT = new URL("../..", import.meta.url).pathname;

/** Waits for a child started with piped stdout and stderr to exit; gives all it wrote and its exit code. */
export async function finished(child: Subprocess<"ignore" | "pipe" | "inherit" | null, "pipe", "pipe">) {
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { stdout, stderr, code };
}

export interface LoggedChild {
  process: Subprocess<"ignore", "pipe", "pipe">;
  /** The first log line with this `msg`, already written or still to come; rejects once stdout ends without it. */
  logged(msg: string): Promise<any>;
  /** Every log line so far. */
  readonly lines: any[];
  /** Resolves once stdout has held `text` (anywhere, log lines or not); rejects once it ends without. */
  printed(text: string): Promise<void>;
  /** All of stdout so far. */
  output(): string;
  /** Resolves when stdout ends: every process holding it (the child and what it started) has exited. */
  readonly ended: Promise<void>;
  /** All of stderr, once it ends. */
  readonly stderr: Promise<string>;
}

export interface SpawnOptions {
  /** `bun src/main.ts` unless told. */
  command?: string[];
  /** The repository's root unless told. */
  cwd?: string;
  /** In a process group of its own, as a terminal's foreground job is (its id is the child's pid). */
  detached?: boolean;
}

/** Spawns the server (or `command`) with `env` on top of this process's environment. */
export function spawnLogged(env: Record<string, string>, options: SpawnOptions = {}): LoggedChild {
  const child = Bun.spawn(options.command ?? ["bun", MAIN], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, SWEEP_INTERVAL_SECONDS: "3600", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    detached: options.detached ?? false,
  });
  const lines: any[] = [];
  const waiters: Array<{ msg: string; resolve(line: any): void }> = [];
  const textWaiters: Array<{ text: string; resolve(): void }> = [];
  const ended = Promise.withResolvers<void>();
  let all = "";
  void (async () => {
    let buffered = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      all += chunk;
      for (const waiter of textWaiters.filter((w) => all.includes(w.text))) {
        textWaiters.splice(textWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      buffered += chunk;
      const complete = buffered.split("\n");
      buffered = complete.pop()!;
      for (const text of complete) {
        let line: any;
        try {
          line = JSON.parse(text);
        } catch {
          continue;
        }
        lines.push(line);
        for (const waiter of waiters.filter((w) => w.msg === line.msg)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
    ended.resolve();
  })();
  const logged = (msg: string): Promise<any> => {
    const seen = lines.find((line) => line.msg === msg);
    if (seen) return Promise.resolve(seen);
    return Promise.race([
      new Promise((resolve) => waiters.push({ msg, resolve })),
      ended.promise.then(() => {
        throw new Error(`stdout ended without the log line "${msg}"`);
      }),
    ]);
  };
  const printed = (text: string): Promise<void> => {
    if (all.includes(text)) return Promise.resolve();
    return Promise.race([
      new Promise<void>((resolve) => textWaiters.push({ text, resolve })),
      ended.promise.then(() => {
        throw new Error(`stdout ended without ${JSON.stringify(text)}: ${all}`);
      }),
    ]);
  };
  return {
    process: child,
    logged,
    lines,
    printed,
    output: () => all,
    ended: ended.promise,
    stderr: new Response(child.stderr).text(),
  };
}

/** What a start came to: the "listening" line, or the exit code and stderr of a process that stopped first. */
export async function started(child: LoggedChild): Promise<{ listening: any } | { exitCode: number; stderr: string }> {
  const listening = child.logged("listening").then(
    (line) => ({ listening: line }),
    () => null,
  );
  const exited = child.process.exited.then(async (exitCode) => ({ exitCode, stderr: await child.stderr }));
  const first = await Promise.race([listening, exited]);
  return first ?? (await exited);
}

/** The process ids below `root`, from /proc (Linux). */
export function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // pid (comm) state ppid …; comm may hold spaces and parentheses, so read after the last ")".
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {}
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const [child, parent] of parents) {
      if (parent === pid) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(root);
  return found;
}

/** The program and arguments of process `pid`; [] once it is gone. */
export function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** Whether process `pid` is the server (`bun src/main.ts` or `bun <path>/src/main.ts`), not a shell or npm around it. */
export function isServer(pid: number): boolean {
  const [program, script] = commandLine(pid);
  return program?.split("/").at(-1) === "bun" && (script === "src/main.ts" || script === MAIN);
}
