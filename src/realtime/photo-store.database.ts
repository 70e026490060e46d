// The default photo store: rendition bytes in the photo_blobs table, so every process (and the embedded database) sees them.
import { eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client";
import { photoBlobs } from "../db/schema";
import type { PhotoStore } from "./photo-store";

export class DatabasePhotoStore implements PhotoStore {
  readonly description = "in the database";
  constructor(private readonly db: Db) {}

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await this.db.insert(photoBlobs).values({ key, bytes });
  }

  async get(key: string): Promise<Uint8Array | null> {
    const [row] = await this.db.select({ bytes: photoBlobs.bytes }).from(photoBlobs).where(eq(photoBlobs.key, key));
    return row?.bytes ?? null;
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.db.delete(photoBlobs).where(inArray(photoBlobs.key, [...keys]));
  }
}
