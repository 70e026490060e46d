// Where photo renditions live: one interface, in the database by default or in an S3-compatible bucket (S3_BUCKET); index.ts picks one.
import type { Config } from "../config";

/**
 * Rendition bytes by key. Keys are written once and never overwritten (a new upload gets new
 * keys), so a reader sees a whole rendition or none.
 */
export interface PhotoStore {
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes, or null when the key holds nothing (deleted, or never written). */
  get(key: string): Promise<Uint8Array | null>;
  /** Removes the keys; keys that hold nothing are fine. */
  delete(keys: readonly string[]): Promise<void>;
  /** What the start-up output says about it. */
  readonly description: string;
}

export type S3Settings = NonNullable<Config["s3"]>;
