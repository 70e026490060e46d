// What every module is built from: the database, the config and the realtime infrastructure.
import type { Config } from "../config";
import type { Db, DbStats } from "../db/client";
import type { Metric } from "../kernel/metrics";
import type { Realtime } from "../realtime";
import type { ActivityRecorder } from "./activity/recorder";

export interface AppDeps {
  readonly db: Db;
  readonly config: Config;
  readonly realtime: Realtime;
  /** Where requests and sockets report the user's activity (the pick's tiers). */
  readonly activity: ActivityRecorder;
  /** Aborted when the process begins to shut down: requests that wait (a search in the pool) end early. */
  readonly stopping?: AbortSignal;
  /** The database's usage counters, for /metrics (left out, /metrics shows no database figures). */
  readonly dbStats?: () => DbStats;
  /** More figures for /metrics from what runs beside the app (the notification sender). */
  readonly metrics?: readonly Metric[];
  /** This process's index among the workers of `serve --workers`; null (or left out) when it serves alone. */
  readonly worker?: number | null;
}
