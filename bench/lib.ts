// Shared by the bench scripts: child processes, RSS, percentiles, scratch databases, RESULTS.md sections.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

export const SECRET = "bench-secret-bench-secret-bench-secret";

export const say = (...parts: unknown[]) => console.error(`bench: ${parts.map(String).join(" ")}`);

/** The same server and credentials as `adminUrl`, another database. */
export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** VmRSS of a process in KiB (process.memoryUsage() fails here; /proc does not). */
export function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
}

/**
 * A process's proportional set size: its private pages plus its share of pages mapped by several
 * processes (the executable's code, which VmRSS counts again in every process), from /proc/<pid>/smaps_rollup.
 */
export function pssKiB(pid: number): number {
  return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))?.[1] ?? 0);
}

/** `bun <script>`, with BENCH_BUN_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") for profiling a server. */
export const bunCommand = (script: string) => [
  "bun",
  ...(process.env.BENCH_BUN_FLAGS?.split(" ").filter(Boolean) ?? []),
  script,
];

export interface Started {
  child: Bun.Subprocess<"ignore" | "pipe", "pipe", "inherit">;
  url: string;
}

/** Spawns a server that prints a JSON line with `"msg":"listening"` and its url; resolves with that url. */
export async function startListening(command: string[], env: Record<string, string>, stdin = false): Promise<Started> {
  const child = Bun.spawn(command, {
    env: { ...process.env, ...env },
    stdin: stdin ? "pipe" : "ignore",
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = child.stdout.getReader();
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`${command.join(" ")} exited early: ${text}`);
    text += new TextDecoder().decode(value);
    const line = text.split("\n").find((l) => l.includes('"msg":"listening"'));
    if (line) {
      reader.releaseLock();
      void child.stdout.pipeTo(new WritableStream());
      return { child: child as Started["child"], url: JSON.parse(line).url as string };
    }
  }
}

/** Stops a child we started and waits for it. */
export async function stop(child: {
  pid: number;
  kill(signal?: number | NodeJS.Signals): void;
  exited: Promise<number>;
}) {
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await child.exited;
  clearTimeout(timer);
}

/** Runs a command to its end; stdout and stderr as text. */
export async function run(command: string[], env: Record<string, string> = {}, cwd?: string) {
  const child = Bun.spawn(command, { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe", cwd });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { stdout, stderr, code };
}

/** CPU time (user + system) a process has used, in milliseconds; 0 once it is gone. */
export function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** The value at quantile p (0..1) of an ascending array. */
export const percentile = (sorted: ArrayLike<number>, p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

/**
 * A latency histogram in 0.05 ms bins (exact enough for p50/p99, small enough to pass between
 * processes as JSON).
 */
export class Histogram {
  readonly bins = new Map<number, number>();
  count = 0;

  add(ms: number): void {
    const bin = Math.max(0, Math.round(ms * 20));
    this.bins.set(bin, (this.bins.get(bin) ?? 0) + 1);
    this.count++;
  }

  merge(bins: Record<string, number>): void {
    for (const [bin, n] of Object.entries(bins)) {
      this.bins.set(Number(bin), (this.bins.get(Number(bin)) ?? 0) + n);
      this.count += n;
    }
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.bins);
  }

  quantile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const target = Math.min(this.count - 1, Math.floor(this.count * p));
    let seen = 0;
    for (const bin of [...this.bins.keys()].sort((a, b) => a - b)) {
      seen += this.bins.get(bin)!;
      if (seen > target) return bin / 20;
    }
    return Number.NaN;
  }
}

export const utcStamp = (date = new Date()) => `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;

/** One line about the machine: CPUs, memory, kernel, Bun, PostgreSQL. */
export async function machine(pgVersion: string): Promise<string> {
  const cpu = cpus();
  const kernel = (await run(["uname", "-r"])).stdout.trim();
  return (
    `${cpu.length} × ${cpu[0]?.model.trim() ?? "CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${kernel}, ` +
    `Bun ${Bun.version}, ${pgVersion}`
  );
}

/** Load average and the busiest other processes, to say how quiet the machine was. */
export async function loadLine(): Promise<string> {
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  return `load average ${load}`;
}

/**
 * Writes a `## title` section of RESULTS.md: replaces the section of that title (up to the next
 * `## ` heading) or appends it. Other sections are left exactly as they are.
 */
export function writeSection(file: string, title: string, body: string): void {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmark results\n";
  const heading = `## ${title}\n`;
  const section = `${heading}\n${body.trim()}\n`;
  const start = text.indexOf(heading);
  if (start === -1) {
    writeFileSync(file, `${text.trimEnd()}\n\n${section}`);
    return;
  }
  const next = text.indexOf("\n## ", start + heading.length);
  const end = next === -1 ? text.length : next + 1;
  writeFileSync(file, `${text.slice(0, start)}${section}${next === -1 ? "" : `\n${text.slice(end)}`}`);
}

export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "—";
