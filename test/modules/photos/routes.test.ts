// PUT/DELETE /profile/photo and GET /photos/{token}: the upload's limits, what each level's partner view links to, and the links' attack surface.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import decodeJpeg from "@jsquash/jpeg/decode";
import { sql } from "drizzle-orm";
import { PhotoLinks } from "../../../src/modules/photos/token";
import { createTestContext, JWT_SECRET, type TestContext } from "../../helpers/app";
import { apiClient, ok, settled } from "../../helpers/client";
import { EXIF_SECRETS, facePixels, jpegOf, pngOf, withExif } from "../../helpers/images";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const api = (as?: number) => apiClient(ctx, as);
const file = (bytes: Uint8Array, name = "me.jpg", type = "image/jpeg") =>
  new File([bytes as Uint8Array<ArrayBuffer>], name, { type });
const upload = (as: number, photo: File) => settled(api(as).api.mystery.profile.photo.put({ photo }));

/** GET a link as an <img> would: no Authorization header. */
async function fetchLink(url: string, headers: Record<string, string> = {}) {
  const response = await ctx.app.handle(new Request(`http://localhost${url}`, { headers }));
  return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) };
}

const sizeOf = async (jpeg: Uint8Array) => {
  const image = await decodeJpeg(jpeg.buffer.slice(jpeg.byteOffset, jpeg.byteOffset + jpeg.byteLength) as ArrayBuffer);
  return [image.width, image.height];
};

/** The unlock counters of a match at `progress`, both sides having written half. */
const at = (progress: number) => ({ messageCount: progress, messagesA: progress / 2, messagesB: progress / 2 });

async function partnerIn(viewer: number, matchId: number) {
  const { matches } = await ok(api(viewer).api.mystery["my-matches"]({ user_id: viewer }).get());
  return matches.find((match) => match.match_id === matchId)!.partner;
}

const OWNER = 5001;
// A pair is matched at most once: every match below gets a viewer of its own.
let nextViewer = 6000;
async function matchWithOwner(progress: number): Promise<{ viewer: number; matchId: number }> {
  const viewer = nextViewer++;
  await ctx.addUsers({ id: viewer });
  return { viewer, matchId: await ctx.addMatch(OWNER, viewer, at(progress)) };
}
const jpeg = await jpegOf(facePixels(1600, 1200), 85);

beforeAll(async () => {
  await ctx.addUsers({ id: OWNER, photoUrl: "https://cdn.example.com/owner.jpg" });
  expect((await upload(OWNER, file(withExif(jpeg)))).status).toBe(200);
});

describe("PUT /api/mystery/profile/photo", () => {
  test("stores the photo and answers the clear rendition's size and the BlurHash; GET /profile links to it", async () => {
    const reply = await upload(OWNER, file(withExif(jpeg)));
    expect(reply).toEqual({
      status: 200,
      body: { success: true, photo: { width: 1280, height: 960, placeholder: expect.any(String) } },
    });
    const { profile } = await ok(api(OWNER).api.mystery.profile.get());
    expect(profile.photo).toEqual({
      url: expect.stringMatching(/^\/api\/mystery\/photos\/[A-Za-z0-9_-]+$/),
      width: 1280,
      height: 960,
      placeholder: (reply.body as { photo: { placeholder: string } }).photo.placeholder,
    });
    const own = await fetchLink(profile.photo!.url);
    expect(own.status).toBe(200);
    expect(own.headers.get("content-type")).toBe("image/jpeg");
    expect(await sizeOf(own.bytes)).toEqual([1280, 960]);
    const text = new TextDecoder("latin1").decode(own.bytes);
    for (const secret of [...EXIF_SECRETS, "Exif"]) expect(text).not.toContain(secret);
  });

  test("PNG too; a replaced photo's links stop working", async () => {
    const before = (await ok(api(OWNER).api.mystery.profile.get())).profile.photo!.url;
    expect((await upload(OWNER, file(await pngOf(facePixels(400, 300)), "me.png", "image/png"))).status).toBe(200);
    expect((await fetchLink(before)).status).toBe(404);
    const after = (await ok(api(OWNER).api.mystery.profile.get())).profile.photo!;
    expect([after.width, after.height]).toEqual([400, 300]);
    expect((await upload(OWNER, file(withExif(jpeg)))).status).toBe(200);
  });

  test("not an image, a fake or cut JPEG: 422 invalid_image, and nothing changes", async () => {
    const before = await ctx.query(sql`SELECT id FROM photos WHERE user_id = ${OWNER}`);
    const fake = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, ...new TextEncoder().encode("JFIF\0 not a photo")]);
    for (const bytes of [new TextEncoder().encode("hello"), fake, jpeg.subarray(0, jpeg.length / 2)]) {
      const reply = await upload(OWNER, file(bytes));
      expect(reply.status).toBe(422);
      expect(reply.body).toMatchObject({ success: false, error: "invalid_image" });
    }
    expect(await ctx.query(sql`SELECT id FROM photos WHERE user_id = ${OWNER}`)).toEqual(before);
  });

  test("over 10 MiB: 413 payload_too_large, whether the length is declared or not", async () => {
    const big = new Uint8Array(10 * 1024 * 1024 + 1);
    big.set(jpeg);
    expect(await upload(OWNER, file(big))).toMatchObject({ status: 413, body: { error: "payload_too_large" } });
    const form = new FormData();
    form.append("photo", file(new Uint8Array(11 * 1024 * 1024)));
    const body = new Uint8Array(await new Response(form).arrayBuffer());
    const type = new Response(form).headers.get("content-type")!;
    const declared = await ctx.app.handle(
      new Request("http://localhost/api/mystery/profile/photo", {
        method: "PUT",
        headers: { authorization: `Bearer ${ctx.token(OWNER)}`, "content-type": type },
        body,
      }),
    );
    expect(declared.status).toBe(413);
    // Other routes keep their 64 KiB.
    const json = await ctx.request("PUT", "/api/mystery/profile", { as: OWNER, body: "x".repeat(70_000) });
    expect(json.status).toBe(413);
  });

  test("without a valid credential the body is not even read: 401 while the upload is still arriving", async () => {
    // A body that never ends: a server reading it first would never answer.
    const endless = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('--x\r\nContent-Disposition: form-data; name="photo"\r\n\r\n'));
      },
    });
    for (const authorization of [undefined, "Bearer not-a-token", `Bearer ${ctx.token(OWNER)}x`]) {
      const reply = await ctx.app.handle(
        new Request("http://localhost/api/mystery/profile/photo", {
          method: "PUT",
          headers: { "content-type": "multipart/form-data; boundary=x", ...(authorization && { authorization }) },
          body: endless,
          duplex: "half",
        } as RequestInit),
      );
      expect(reply.status).toBe(401);
    }
  });

  test("at most 10 uploads per user a minute: the 11th is 429 rate_limited with Retry-After", async () => {
    await ctx.addUsers({ id: 5999 });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await upload(5999, file(new TextEncoder().encode("x")))).status);
    expect(statuses).toEqual([...Array(10).fill(422), 429]);
  });

  test("no file field, a JSON body, no credential, no profile yet", async () => {
    expect((await ctx.request("PUT", "/api/mystery/profile/photo", { as: OWNER, body: { photo: "x" } })).status).toBe(
      400,
    );
    expect((await settled(api().api.mystery.profile.photo.put({ photo: file(jpeg) }))).status).toBe(401);
    expect(await upload(9999, file(jpeg))).toMatchObject({ status: 404, body: { error: "user_not_found" } });
  });
});

describe("the partner view links to the rendition of its level, and only from level 2", () => {
  test("levels 0 and 1: no photo; 2: strong (320 px), 3: light (480 px), 4: clear and the external photo_url", async () => {
    const seen: Record<number, unknown> = {};
    for (const [level, progress] of [
      [0, 0],
      [1, 20],
      [2, 60],
      [3, 100],
      [4, 150],
    ] as const) {
      const { viewer, matchId } = await matchWithOwner(progress);
      const partner = await partnerIn(viewer, matchId);
      seen[level] = partner.photo === undefined ? undefined : { blur: partner.photo?.blur };
      if (level < 4) expect(partner.photo_url).toBeUndefined();
      else expect(partner.photo_url).toBe("https://cdn.example.com/owner.jpg");
      if (level >= 2) {
        const got = await fetchLink(partner.photo!.url);
        expect(got.status).toBe(200);
        expect((await sizeOf(got.bytes))[0]).toBe({ 2: 320, 3: 480, 4: 1280 }[level as 2 | 3 | 4]);
      }
    }
    expect(seen).toEqual({ 0: undefined, 1: undefined, 2: { blur: 50 }, 3: { blur: 25 }, 4: { blur: 0 } });
  });
});

describe("photo links under attack", () => {
  let viewer: number;
  let matchId: number;
  let strongUrl: string;
  beforeAll(async () => {
    ({ viewer, matchId } = await matchWithOwner(60));
    strongUrl = (await partnerIn(viewer, matchId)).photo!.url;
  });

  const notFound = async (url: string) => {
    const reply = await fetchLink(url);
    return {
      status: reply.status,
      body: new TextDecoder().decode(reply.bytes),
      type: reply.headers.get("content-type"),
    };
  };
  const garbage = () => notFound(`/api/mystery/photos/${"A".repeat(94)}`);

  test("a level-2 link serves strong and nothing else, however the URL is bent", async () => {
    const strong = await fetchLink(strongUrl);
    expect(await sizeOf(strong.bytes)).toEqual([320, 240]);
    for (const bent of [`${strongUrl}?level=4`, `${strongUrl}?rendition=clear`]) {
      const got = await fetchLink(bent);
      expect(got.status).toBe(200);
      expect(got.bytes).toEqual(strong.bytes);
    }
    for (const bent of [
      `${strongUrl}/clear`,
      `${strongUrl}/../clear`,
      strongUrl.replace("/photos/", "/photos/clear/"),
    ]) {
      expect([404, 200]).toContain((await fetchLink(bent)).status);
      const got = await fetchLink(bent);
      if (got.status === 200) expect(got.bytes).toEqual(strong.bytes);
    }
  });

  test("changing any byte of the token gives the garbage 404", async () => {
    const token = strongUrl.split("/").pop()!;
    const bytes = Buffer.from(token, "base64url");
    const expected = await garbage();
    expect(expected).toEqual({
      status: 404,
      body: expect.stringContaining('"photo_not_found"'),
      type: expect.any(String),
    });
    // The level byte sits somewhere inside: flipping each byte in turn covers it, and the tag.
    for (let i = 0; i < bytes.length; i += 1) {
      const altered = Buffer.from(bytes);
      altered[i]! ^= 0x04;
      expect(await notFound(`/api/mystery/photos/${altered.toString("base64url")}`)).toEqual(expected);
    }
  });

  test("the token names nobody: not the partner's id (or the viewer's) in any encoding, nor the photo's id", async () => {
    const token = strongUrl.split("/").pop()!;
    const raw = Buffer.from(token, "base64url");
    const [photo] = await ctx.query<{ id: string }>(sql`SELECT id FROM photos WHERE user_id = ${OWNER}`);
    for (const id of [OWNER, viewer]) {
      const be = Buffer.alloc(8);
      be.writeBigUInt64BE(BigInt(id));
      const le = Buffer.alloc(8);
      le.writeBigUInt64LE(BigInt(id));
      const be4 = be.subarray(4);
      const le4 = le.subarray(0, 4);
      for (const text of [
        String(id),
        id.toString(16),
        id.toString(36),
        Buffer.from(String(id)).toString("base64url"),
      ]) {
        expect(token).not.toContain(text);
      }
      for (const needle of [be.subarray(5), le.subarray(0, 3), be4, le4, Buffer.from(String(id))]) {
        expect(raw.includes(needle)).toBe(false);
      }
    }
    expect(token).not.toContain(photo!.id);
    expect(raw.includes(Buffer.from(photo!.id, "hex").subarray(0, 4))).toBe(false);
    // Two viewers of the same partner get links that share nothing (no common photo id to compare).
    const other = await matchWithOwner(60);
    const theirs = Buffer.from(
      (await partnerIn(other.viewer, other.matchId)).photo!.url.split("/").pop()!,
      "base64url",
    );
    let common = 0;
    for (let i = 0; i < raw.length; i++) if (raw[i] === theirs[i]) common++;
    expect(common).toBeLessThan(10); // chance level is 70/256
  });

  test("cache headers: private, max-age within the link's life, an ETag, and 304 for If-None-Match", async () => {
    const first = await fetchLink(strongUrl);
    const cache = first.headers.get("cache-control")!;
    expect(cache).toMatch(/^private, max-age=\d+$/);
    const maxAge = Number(cache.split("=")[1]);
    expect(maxAge).toBeGreaterThan(1700);
    expect(maxAge).toBeLessThanOrEqual(3600);
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const again = await fetchLink(strongUrl, { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(again.bytes.length).toBe(0);
    expect((await fetchLink(strongUrl, { "if-none-match": '"other"' })).status).toBe(200);
  });

  test("an expired link, one minted with another secret, and one with a far-future expiry: the garbage 404", async () => {
    const [photo] = await ctx.query<{ id: string }>(sql`SELECT id FROM photos WHERE user_id = ${OWNER}`);
    const grant = { viewerId: viewer, matchId, level: 2 as const, photoId: photo!.id };
    const expected = await garbage();
    const expired = new PhotoLinks(JWT_SECRET).mint(grant, new Date(Date.now() - 2 * 3600_000));
    const foreign = new PhotoLinks("another-secret-of-at-least-32-characters").mint(grant);
    const future = new PhotoLinks(JWT_SECRET).mint(grant, new Date(Date.now() + 24 * 3600_000));
    for (const token of [expired, foreign, future]) {
      expect(await notFound(`/api/mystery/photos/${token}`)).toEqual(expected);
    }
    // The same grant minted now works: the 404s above are about the token alone.
    expect((await fetchLink(`/api/mystery/photos/${new PhotoLinks(JWT_SECRET).mint(grant)}`)).status).toBe(200);
  });

  test("a premium viewer's level-4 link works while Premium lasts, then the garbage 404 (the match is at level 0)", async () => {
    const premium = await matchWithOwner(0);
    await ctx.query(sql`UPDATE users SET premium_until = now() + interval '1 day' WHERE id = ${premium.viewer}`);
    const partner = await partnerIn(premium.viewer, premium.matchId);
    expect([partner.unlock_level, partner.photo?.blur]).toEqual([4, 0]);
    const clear = await fetchLink(partner.photo!.url);
    expect(await sizeOf(clear.bytes)).toEqual([1280, 960]);
    await ctx.query(sql`UPDATE users SET premium_until = now() - interval '1 second' WHERE id = ${premium.viewer}`);
    expect(await notFound(partner.photo!.url)).toEqual(await garbage());
  });

  test("links of an unmatched or blocked match, and of a deleted photo: the garbage 404", async () => {
    const expected = await garbage();
    const unmatched = await matchWithOwner(100);
    const unmatchedUrl = (await partnerIn(unmatched.viewer, unmatched.matchId)).photo!.url;
    expect((await fetchLink(unmatchedUrl)).status).toBe(200);
    await ok(api(unmatched.viewer).api.mystery.unmatch.post({ match_id: unmatched.matchId }));
    expect(await notFound(unmatchedUrl)).toEqual(expected);

    const blocked = await matchWithOwner(150);
    const blockedUrl = (await partnerIn(blocked.viewer, blocked.matchId)).photo!.url;
    expect((await fetchLink(blockedUrl)).status).toBe(200);
    await ok(api(OWNER).api.mystery.block.post({ match_id: blocked.matchId }));
    expect(await notFound(blockedUrl)).toEqual(expected);

    const expired = await matchWithOwner(60);
    const expiredUrl = (await partnerIn(expired.viewer, expired.matchId)).photo!.url;
    await ctx.query(sql`UPDATE matches SET expires_at = now() - interval '1 second' WHERE id = ${expired.matchId}`);
    expect(await notFound(expiredUrl)).toEqual(expected);
  });

  test("DELETE removes the photo: every link 404s, the partner view says photo null, the store is empty", async () => {
    const current = await matchWithOwner(60);
    const url = (await partnerIn(current.viewer, current.matchId)).photo!.url;
    const own = (await ok(api(OWNER).api.mystery.profile.get())).profile.photo!.url;
    expect(await ok(api(OWNER).api.mystery.profile.photo.delete())).toEqual({ success: true });
    const expected = await garbage();
    expect(await notFound(url)).toEqual(expected);
    expect(await notFound(own)).toEqual(expected);
    expect((await partnerIn(current.viewer, current.matchId)).photo).toBeNull();
    expect((await ok(api(OWNER).api.mystery.profile.get())).profile.photo).toBeNull();
    expect(await ctx.query(sql`SELECT key FROM photo_blobs`)).toEqual([]);
    expect(await ok(api(OWNER).api.mystery.profile.photo.delete())).toEqual({ success: true });
  });
});
