// Runs the photo worker: one upload at a time per process, in a Worker so decoding never blocks other users' requests.
import type { ImageHeader } from "./image-header";
import type { Renditions } from "./renditions";
import type { PhotoJob, PhotoOutcome } from "./worker";

/**
 * A worker that decoded more than this many pixels is ended after its job: WebAssembly memory
 * never shrinks, and a 40-megapixel decode would keep ~200 MB for the life of the process.
 */
const RECYCLE_ABOVE_PIXELS = 4_000_000;

/**
 * The worker's entry. `bun build --compile` is given it as a second entry point (package.json's
 * build), and the binary keeps it under its path from src/; from source it sits beside this file.
 */
const WORKER_ENTRY = new URL(
  import.meta.url.includes("/$bunfs/") ? "./modules/photos/worker.ts" : "./worker.ts",
  import.meta.url,
);

export type Processed = { ok: true; renditions: Renditions } | { ok: false; reason: string };

export interface ProcessorLimits {
  /** A job that takes longer is refused and its worker ended (a 40 MP photo takes about 2 s here). */
  readonly timeoutMs: number;
  /** Jobs waiting behind the running one, at most; one more is refused at once (PhotoProcessorBusy). */
  readonly maxWaiting: number;
}

const LIMITS: ProcessorLimits = { timeoutMs: 60_000, maxWaiting: 16 };

/** Thrown by process() when maxWaiting jobs already wait. */
export class PhotoProcessorBusy extends Error {}

/**
 * Jobs run one after another on one worker (the machine's other cores stay with the server); the
 * worker starts on the first job. A worker that dies or overruns the timeout fails that job only:
 * the next job gets a new worker.
 */
export class PhotoProcessor {
  #worker: Worker | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #waiting = 0;

  constructor(private readonly limits: ProcessorLimits = LIMITS) {}

  process(bytes: Uint8Array, header: ImageHeader): Promise<Processed> {
    if (this.#waiting >= this.limits.maxWaiting) return Promise.reject(new PhotoProcessorBusy());
    this.#waiting++;
    const job = this.#queue.then(() => {
      this.#waiting--;
      return this.#run({ bytes, header });
    });
    this.#queue = job.catch(() => {});
    return job;
  }

  #run(job: PhotoJob): Promise<Processed> {
    this.#worker ??= new Worker(WORKER_ENTRY);
    const worker = this.#worker;
    // Bun's Worker can be unref'd (a worker alone does not keep the process alive); the DOM type lacks it.
    (worker as Worker & { unref(): void }).unref();
    const { promise, resolve, reject } = Promise.withResolvers<PhotoOutcome>();
    const timer = setTimeout(() => {
      this.#discard(worker);
      resolve({ ok: false, reason: "it took too long to process" });
    }, this.limits.timeoutMs);
    worker.onmessage = (event: MessageEvent<PhotoOutcome>) => resolve(event.data);
    worker.onerror = (event) => {
      this.#discard(worker);
      reject(new Error(`photo worker failed: ${event.message}`));
    };
    worker.postMessage(job, [job.bytes.buffer as ArrayBuffer]);
    return promise.finally(() => {
      clearTimeout(timer);
      worker.onmessage = null;
      worker.onerror = null;
      if (job.header.width * job.header.height > RECYCLE_ABOVE_PIXELS) this.#discard(worker);
    });
  }

  #discard(worker: Worker): void {
    if (this.#worker === worker) this.#worker = null;
    worker.terminate();
  }

  /** Ends the worker (the server is stopping); a later job starts a new one. */
  close(): void {
    if (this.#worker) this.#discard(this.#worker);
  }
}
