// Starts the real server as a child process (bun src/main.ts) and waits until it listens.
import type { Subprocess } from "bun";

export interface ServerProcess {
  http: string;
  ws: string;
  process: Subprocess<"ignore", "pipe", "inherit">;
  stop(): Promise<number>;
}

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

/** Spawns a server with `env` (PORT=0 picks a free port) and resolves once it logs where it listens. */
export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = Bun.spawn(["bun", MAIN], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", SWEEP_INTERVAL_SECONDS: "3600", ...env },
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`server exited before listening: ${buffered}`);
    buffered += decoder.decode(value);
    const line = buffered.split("\n").find((text) => text.includes('"msg":"listening"'));
    if (!line) continue;
    reader.releaseLock();
    // Keep draining stdout so the child never blocks on a full pipe.
    void child.stdout.pipeTo(new WritableStream());
    const http = JSON.parse(line).url as string;
    return {
      http,
      ws: http.replace(/^http/, "ws"),
      process: child,
      async stop() {
        child.kill("SIGTERM");
        return child.exited;
      },
    };
  }
}
