// Profile photos: each user's current photo (its renditions' size and placeholder), and the rendition bytes when the database stores them.
import { sql } from "drizzle-orm";
import { bigint, check, customType, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { users } from "./users";

/** Bytes in and out as Uint8Array (postgres.js gives a Buffer, PGlite a Uint8Array). */
const bytes = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => "bytea",
  fromDriver: (value) => new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
});

/**
 * One row per user with a photo. `id` is random and new at every upload: it names the renditions
 * in the store, so a replaced or deleted photo's renditions (and the links to them) are gone.
 */
export const photos = pgTable(
  "photos",
  {
    userId: bigint("user_id", { mode: "number" })
      .primaryKey()
      .references(() => users.id, { onDelete: "cascade" }),
    id: text("id").notNull().unique(),
    width: integer("width").notNull(),
    height: integer("height").notNull(),
    placeholder: text("placeholder").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [check("photos_size_positive", sql`${t.width} > 0 AND ${t.height} > 0`)],
);

/** The renditions' bytes by store key, for the default (database) photo store; unused with S3_BUCKET. */
export const photoBlobs = pgTable("photo_blobs", {
  key: text("key").primaryKey(),
  bytes: bytes("bytes").notNull(),
});
