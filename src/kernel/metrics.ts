// What a module exposes on /metrics: named counters and gauges, read at scrape time.

export interface Metric {
  /** The Prometheus name, e.g. mystery_match_message_batches_total. */
  readonly name: string;
  readonly type: "counter" | "gauge";
  readonly help: string;
  value(): number;
}

/** A figure the database holds, read at scrape time; a failure leaves the series out of that scrape. */
export interface StoredMetric extends Omit<Metric, "value"> {
  value(): Promise<number>;
}
