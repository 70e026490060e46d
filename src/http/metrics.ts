// Prometheus text exposition of this process's counters: requests, latency, sockets, database use.
import { readFileSync } from "node:fs";
import type { DbStats } from "../db/client";
import type { Metric, StoredMetric } from "../kernel/metrics";

/** Upper bounds (seconds) of the latency histogram's buckets. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
  labels: string;
  count: number;
  sum: number;
  buckets: number[];
}

/** What the exposition reads at scrape time from the rest of the process. */
export interface Gauges {
  sockets(): number;
  /** Redis channels this process is subscribed to; null without Redis. */
  channels(): number | null;
  db(): DbStats | null;
  /** This process's index among the workers of `serve --workers`, null when it serves alone. */
  worker: number | null;
  /** What the modules count (message batches, …). */
  modules: readonly (Metric | StoredMetric)[];
}

const escapeLabel = (value: string) => value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
const labelsOf = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([key, value]) => `${key}="${escapeLabel(value)}"`)
    .join(",");

function residentBytes(): number | null {
  // process.memoryUsage() is not available everywhere; /proc is, on Linux.
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export class HttpMetrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, Series>();
  private readonly startedAt = Date.now() / 1000;
  inFlight = 0;

  /** Counts one finished request; `route` is the route's pattern, never the raw path. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const key = labelsOf({ method, route, status: String(status) });
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const seriesKey = labelsOf({ method, route });
    let series = this.latency.get(seriesKey);
    if (!series) {
      series = { labels: seriesKey, count: 0, sum: 0, buckets: BUCKETS.map(() => 0) };
      this.latency.set(seriesKey, series);
    }
    series.count++;
    series.sum += seconds;
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) series.buckets[i]!++;
  }

  async render(gauges: Gauges): Promise<string> {
    // Read together, so that figures from one database query are asked for at once.
    const values = await Promise.all(gauges.modules.map((metric) => Promise.resolve(metric.value()).catch(() => null)));
    const out: string[] = [];
    const family = (name: string, type: string, help: string) =>
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

    family(
      "mystery_match_http_requests_total",
      "counter",
      "HTTP requests answered, by method, route pattern and status.",
    );
    for (const [labels, count] of this.requests) out.push(`mystery_match_http_requests_total{${labels}} ${count}`);

    family(
      "mystery_match_http_request_duration_seconds",
      "histogram",
      "Time from receiving a request to answering it.",
    );
    for (const series of this.latency.values()) {
      BUCKETS.forEach((bound, i) => {
        out.push(
          `mystery_match_http_request_duration_seconds_bucket{${series.labels},le="${bound}"} ${series.buckets[i]}`,
        );
      });
      out.push(`mystery_match_http_request_duration_seconds_bucket{${series.labels},le="+Inf"} ${series.count}`);
      out.push(`mystery_match_http_request_duration_seconds_sum{${series.labels}} ${series.sum}`);
      out.push(`mystery_match_http_request_duration_seconds_count{${series.labels}} ${series.count}`);
    }

    family("mystery_match_http_requests_in_flight", "gauge", "HTTP requests received and not yet answered.");
    out.push(`mystery_match_http_requests_in_flight ${this.inFlight}`);

    family("mystery_match_websockets_open", "gauge", "Chat WebSockets open on this process.");
    out.push(`mystery_match_websockets_open ${gauges.sockets()}`);

    const channels = gauges.channels();
    if (channels !== null) {
      family(
        "mystery_match_bus_channels",
        "gauge",
        "Redis channels this process is subscribed to: one per user it holds a socket of (or an upgrade being checked).",
      );
      out.push(`mystery_match_bus_channels ${channels}`);
    }

    gauges.modules.forEach((metric, i) => {
      const value = values[i];
      if (value === null || value === undefined) return;
      family(metric.name, metric.type, metric.help);
      out.push(`${metric.name} ${value}`);
    });

    const db = gauges.db();
    if (db) {
      const driver = labelsOf({ driver: db.driver });
      family(
        "mystery_match_db_pool_max_connections",
        "gauge",
        "Connections the pool may open (DB_POOL_SIZE; 1 for PGlite).",
      );
      out.push(`mystery_match_db_pool_max_connections{${driver}} ${db.maxConnections}`);
      family(
        "mystery_match_db_queries_in_flight",
        "gauge",
        "Statements outside transactions sent and not yet answered, counted by the app (the driver exposes no pool statistics); includes those waiting for a free connection.",
      );
      out.push(`mystery_match_db_queries_in_flight{${driver}} ${db.queriesInFlight}`);
      family(
        "mystery_match_db_transactions_open",
        "gauge",
        "Transactions begun and not finished, counted by the app; each holds one connection.",
      );
      out.push(`mystery_match_db_transactions_open{${driver}} ${db.transactionsOpen}`);
    }

    family(
      "mystery_match_worker_info",
      "gauge",
      "Which process answers: its worker index under serve --workers (empty when it serves alone) and pid.",
    );
    out.push(
      `mystery_match_worker_info{${labelsOf({ index: gauges.worker === null ? "" : String(gauges.worker), pid: String(process.pid) })}} 1`,
    );

    const rss = residentBytes();
    if (rss !== null) {
      family("process_resident_memory_bytes", "gauge", "Resident memory (VmRSS).");
      out.push(`process_resident_memory_bytes ${rss}`);
    }
    family("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch.");
    out.push(`process_start_time_seconds ${this.startedAt}`);
    return `${out.join("\n")}\n`;
  }
}
