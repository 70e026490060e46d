// `healthcheck`: GET /health on this machine's server; exit 0 when it answers 200 (the Docker HEALTHCHECK).
import { parseCommand } from "./args";

export async function healthcheckCommand(args: string[]): Promise<void> {
  const { flags } = parseCommand(args);
  // Only PORT and HOST matter here: the full config would create DATA_DIR files as a side effect.
  const port = flags.PORT ?? process.env.PORT?.trim() ?? "3000";
  const configured = flags.HOST ?? process.env.HOST?.trim() ?? "";
  const host = configured === "" || configured === "0.0.0.0" || configured === "::" ? "127.0.0.1" : configured;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port || "3000"}/health`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    if (response.status === 200) return;
    console.error(`healthcheck: ${url} answered ${response.status}`);
  } catch (error) {
    console.error(`healthcheck: ${url}: ${(error as Error).message}`);
  }
  process.exit(1);
}
