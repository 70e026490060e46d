// The embedded database: PGlite (PostgreSQL compiled to WebAssembly) in DATA_DIR, behind the same Database.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import initdbWasm from "@electric-sql/pglite/initdb.wasm" with { type: "file" };
import fsBundle from "@electric-sql/pglite/pglite.data" with { type: "file" };
import pgliteWasm from "@electric-sql/pglite/pglite.wasm" with { type: "file" };
import { drizzle } from "drizzle-orm/pglite";
import { applyMigrations, type Database, type Db, type InFlight } from "./client";
import * as schema from "./schema";

// PGlite's runtime is imported as files so that `bun build --compile` embeds it; PGlite would
// otherwise look for it beside its own module, which does not exist inside the binary.
async function runtime() {
  const [pgliteWasmModule, initdbWasmModule] = await Promise.all([
    WebAssembly.compile(await Bun.file(pgliteWasm).arrayBuffer()),
    WebAssembly.compile(await Bun.file(initdbWasm).arrayBuffer()),
  ]);
  return { pgliteWasmModule, initdbWasmModule, fsBundle: Bun.file(fsBundle) };
}

const INT8 = 20;

/** Thrown when another process has the data directory open (PGlite allows one process at a time). */
export class DataDirInUseError extends Error {}

/**
 * Takes DATA_DIR/mystery-match.pid with an exclusive create. A file left by a process that is gone
 * (or by a container's earlier PID 1, which is this process's own pid again) is taken over.
 */
function lockDataDir(dir: string): () => void {
  const path = join(dir, "mystery-match.pid");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(readFileSync(path, "utf8").trim());
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new DataDirInUseError(
          `the embedded database in ${dir} is in use by process ${pid} (stop it first; remove ${path} if that process is not this server)`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new DataDirInUseError(`could not lock ${path}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Counts statements and transactions like the postgres.js side (PGlite runs one at a time). */
function counted(client: PGlite, inFlight: InFlight): PGlite {
  const track =
    (key: "queries" | "transactions", method: (...args: never[]) => Promise<unknown>) =>
    async (...args: never[]) => {
      inFlight[key]++;
      try {
        return await method.apply(client, args);
      } finally {
        inFlight[key]--;
      }
    };
  return new Proxy(client, {
    get(target, key) {
      if (key === "query" || key === "exec") return track("queries", target[key] as never);
      if (key === "transaction") return track("transactions", target.transaction as never);
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

export interface PgliteOptions {
  /** Starts from this dump (`dumpDataDir`) instead of an empty cluster: the tests' migrated template. */
  loadDataDir?: Blob;
}

/**
 * Opens the embedded database stored in `dataDir` (created on first use, kept across restarts), or
 * an in-memory one when `dataDir` is null. Only one process may have a data directory open.
 */
export async function connectPglite(dataDir: string | null, options: PgliteOptions = {}): Promise<Database> {
  let unlock = () => {};
  let location: string | undefined;
  if (dataDir !== null) {
    const dir = resolve(dataDir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    unlock = lockDataDir(dir);
    location = join(dir, "pgdata");
  }
  let client: PGlite;
  try {
    const assets = await runtime();
    const open = () =>
      PGlite.create(location, {
        ...assets,
        // int8 (ids, counts) as numbers, as on the postgres.js side: every stored value is ≤ 2^53−1.
        parsers: { [INT8]: Number },
        loadDataDir: options.loadDataDir,
      });
    const created = location !== undefined && !existsSync(join(location, "PG_VERSION"));
    client = await open();
    if (created) {
      // initdb grows the WebAssembly memory (which never shrinks) to about twice what serving needs:
      // a second instance on the new files starts small.
      await client.close();
      client = await open();
      Bun.gc(true); // the first instance's memory is garbage now: give it back before serving
    }
  } catch (error) {
    unlock();
    throw error;
  }
  const inFlight: InFlight = { queries: 0, transactions: 0 };
  const db = drizzle(counted(client, inFlight), { schema }) as unknown as Db;
  let closed = false;
  return {
    db,
    description: location ? `embedded PGlite in ${location}` : "embedded PGlite in memory",
    migrate: () => applyMigrations(db),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await client.close();
      } finally {
        unlock();
      }
    },
    stats: () => ({
      driver: "pglite",
      maxConnections: 1,
      queriesInFlight: inFlight.queries,
      transactionsOpen: inFlight.transactions,
    }),
  };
}

/** A migrated in-memory database's files as one tarball, to start other in-memory databases from. */
export async function dumpDatabase(database: Database): Promise<Blob> {
  const client = (database.db as unknown as { $client: PGlite }).$client;
  return client.dumpDataDir("none");
}
