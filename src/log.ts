// Log lines on stdout (errors on stderr): one JSON object a line for log shippers, or readable text on a terminal.

type Level = "info" | "warn" | "error";

/** LOG_FORMAT: "auto" is text when stdout is a terminal, else JSON. */
export type LogFormat = "auto" | "json" | "text";

let readable = false;

/** Chooses how later lines look (serve calls it once the configuration is read); JSON until then. */
export function useLogFormat(format: LogFormat, terminal = Boolean(process.stdout.isTTY)): void {
  readable = format === "text" || (format === "auto" && terminal);
}

/** A value as `key=value` shows it: plain when it has no spaces or quotes, else JSON-quoted. */
function shown(value: unknown): string {
  return typeof value === "string" && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
}

/** "12:30:16 info  listening url=http://localhost:3000 database=embedded" */
export function textLine(time: Date, level: Level, msg: string, fields: Record<string, unknown>): string {
  const pairs = Object.entries(fields).map(([key, value]) => `${key}=${shown(value)}`);
  return [time.toISOString().slice(11, 19), level.padEnd(5), msg, ...pairs].join(" ");
}

export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  const time = new Date();
  const line = readable
    ? textLine(time, level, msg, fields)
    : JSON.stringify({ time: time.toISOString(), level, msg, ...fields });
  if (level === "error") console.error(line);
  else console.log(line);
}
