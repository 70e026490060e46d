// The contract's rate limits: every limit a route or the socket counts against, the configurable ones from config.
import type { Config } from "../config";
import type { Limit } from "../realtime/rate-limit";

const perMinute = (name: string, max: number) => ({ kind: "window", name, max, windowSeconds: 60 }) as const;

export function limitsOf(rates: Config["rateLimits"]) {
  return {
    /** Per user: a burst at once (quick lines typed in a row), then the sustained rate. */
    send: { kind: "bucket", name: "send", burst: rates.sendsBurst, perMinute: rates.sendsPerMinute },
    findMatch: perMinute("find-match", rates.findMatchesPerMinute),
    /** Per client address, failed Telegram sign-ins only (limiter.check / limiter.fail): successes never count. */
    auth: perMinute("auth", rates.authPerMinute),
    /** Per user: block and unblock together. */
    block: perMinute("block", rates.blocksPerMinute),
    report: perMinute("report", rates.reportsPerMinute),
    socketUpgrade: perMinute("socket-upgrade", rates.socketsPerMinute),
    /** Per user: photo uploads (each one decodes an image, the costliest request there is). */
    photoUpload: perMinute("photo-upload", 10),
    /** Per client address: every demo token counts. */
    demoToken: perMinute("demo-token", 10),
    /**
     * Per client address, failed operator-token attempts only (limiter.check / limiter.fail); past it an
     * attempt is refused before its token is looked at. An operator's script never fails, and ten
     * guesses a minute at a token of 32 characters or more get nowhere.
     */
    adminToken: perMinute("admin-token", 10),
  } satisfies Record<string, Limit>;
}
