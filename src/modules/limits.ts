// The contract's rate limits, from the configured rates: every limit a route or the socket counts against.
import type { Config } from "../config";
import type { Limit } from "../realtime/rate-limit";

const perMinute = (name: string, max: number) => ({ kind: "window", name, max, windowSeconds: 60 }) as const;

export function limitsOf(rates: Config["rateLimits"]) {
  return {
    /** Per user: a burst at once (quick lines typed in a row), then the sustained rate. */
    send: { kind: "bucket", name: "send", burst: rates.sendsBurst, perMinute: rates.sendsPerMinute },
    findMatch: perMinute("find-match", rates.findMatchesPerMinute),
    auth: perMinute("auth", rates.authPerMinute),
    /** Per user: block and unblock together. */
    block: perMinute("block", rates.blocksPerMinute),
    report: perMinute("report", rates.reportsPerMinute),
    socketUpgrade: perMinute("socket-upgrade", rates.socketsPerMinute),
  } satisfies Record<string, Limit>;
}
