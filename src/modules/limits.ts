// The contract's rate limits, from the configured rates: every limit a route or the socket counts against.
import type { Config } from "../config";
import type { Limit } from "../realtime/rate-limit";

export function limitsOf(rates: Config["rateLimits"]) {
  return {
    send: { name: "send", max: rates.sendsPerMinute, windowSeconds: 60 },
    findMatch: { name: "find-match", max: rates.findMatchesPerMinute, windowSeconds: 60 },
    auth: { name: "auth", max: rates.authPerMinute, windowSeconds: 60 },
    /** Per user: block and unblock together. */
    block: { name: "block", max: rates.blocksPerMinute, windowSeconds: 60 },
    report: { name: "report", max: rates.reportsPerMinute, windowSeconds: 60 },
    socketUpgrade: { name: "socket-upgrade", max: rates.socketsPerMinute, windowSeconds: 60 },
  } satisfies Record<string, Limit>;
}
