// Both photo stores against real servers: the database (PGlite or PostgreSQL) and an S3-compatible server (s3rver); and an upload served from S3.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { loadConfig } from "../../src/config";
import { createPhotoStore } from "../../src/realtime";
import type { PhotoStore } from "../../src/realtime/photo-store";
import { createTestContext, type TestContext } from "../helpers/app";
import { apiClient, ok } from "../helpers/client";
import { facePixels, jpegOf } from "../helpers/images";
import { type LocalS3, startLocalS3 } from "../helpers/s3";

let s3: LocalS3;
let ctx: TestContext;
beforeAll(async () => {
  s3 = await startLocalS3();
  ctx = await createTestContext(s3.env);
});
afterAll(async () => {
  await ctx.close();
  await s3.close();
});

const s3Settings = () => loadConfig({ ...s3.env, JWT_SECRET: "x".repeat(32), DATA_DIR: "/nonexistent" }).s3;

describe.each([
  ["the database", () => createPhotoStore(ctx.db, null)],
  ["S3 (s3rver)", () => createPhotoStore(ctx.db, s3Settings())],
] as const)("the photo store in %s", (_name, make) => {
  let store: PhotoStore;
  beforeAll(() => {
    store = make();
  });

  test("put, get the same bytes back, delete; a missing key is null", async () => {
    const bytes = new Uint8Array(300_000).map((_, i) => (i * 31) & 255);
    await store.put("photos/test/a.jpg", bytes);
    await store.put("photos/test/b.jpg", new Uint8Array([1, 2, 3]));
    expect(await store.get("photos/test/a.jpg")).toEqual(bytes);
    expect(await store.get("photos/test/missing.jpg")).toBeNull();
    await store.delete(["photos/test/a.jpg", "photos/test/b.jpg", "photos/test/never-written.jpg"]);
    expect(await store.get("photos/test/a.jpg")).toBeNull();
    expect(await store.get("photos/test/b.jpg")).toBeNull();
    await store.delete([]);
  });
});

test("with S3_BUCKET an upload's renditions live in the bucket (not the database) and links serve them", async () => {
  await ctx.addUsers({ id: 1 });
  const form = new File([(await jpegOf(facePixels(800, 600))) as Uint8Array<ArrayBuffer>], "me.jpg", {
    type: "image/jpeg",
  });
  const api = apiClient(ctx, 1);
  await ok(api.api.mystery.profile.photo.put({ photo: form }));
  expect(await ctx.query(sql`SELECT key FROM photo_blobs`)).toEqual([]);
  const [photo] = await ctx.query<{ id: string }>(sql`SELECT id FROM photos WHERE user_id = 1`);
  for (const rendition of ["strong", "light", "clear"]) {
    expect(await s3.client.file(`photos/${photo!.id}/${rendition}.jpg`).exists()).toBe(true);
  }
  const url = (await ok(api.api.mystery.profile.get())).profile.photo!.url;
  const served = await ctx.app.handle(new Request(`http://localhost${url}`));
  expect(served.status).toBe(200);
  const clear = new Uint8Array(await served.arrayBuffer());
  expect(clear).toEqual(new Uint8Array(await s3.client.file(`photos/${photo!.id}/clear.jpg`).arrayBuffer()));
  await ok(api.api.mystery.profile.photo.delete());
  expect(await s3.client.file(`photos/${photo!.id}/clear.jpg`).exists()).toBe(false);
  expect((await ctx.app.handle(new Request(`http://localhost${url}`))).status).toBe(404);
});
