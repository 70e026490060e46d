// Photo links: an opaque, signed, expiring token per viewer, match and level, so an <img> can fetch a rendition without a header.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import type { PhotoLink } from "../profiles/unlock";

/** Where photo links point: GET PHOTOS_PATH/{token}. */
export const PHOTOS_PATH = "/api/mystery/photos";

/** A link's longest life (the contract's hour); links are minted for the rest of the current half hour plus half an hour. */
export const PHOTO_LINK_MAX_SECONDS = 3600;
const WINDOW_SECONDS = 1800;

/** Bumped if the layout below changes; a token of another version is simply invalid. */
const VERSION = 1;
// version (1) | viewer (8) | match (8) | level (1) | expires, Unix seconds (4) | photo id (16)
const PAYLOAD_BYTES = 38;
const IV_BYTES = 16;
const TAG_BYTES = 16;

export interface PhotoGrant {
  /** Who was given the link (the partner view's viewer, or the owner for their own photo). */
  readonly viewerId: number;
  /** The match the view was of; 0 for the owner's own photo. */
  readonly matchId: number;
  /** The unlock level whose rendition the link serves: 2 strong, 3 light, 4 clear. */
  readonly level: 2 | 3 | 4;
  /** The photo's random id (32 hex digits): a new upload or a deletion ends every link to the old one. */
  readonly photoId: string;
  readonly expiresAt: Date;
}

/**
 * Tokens are encrypted, then authenticated: AES-256-CTR hides the payload (the viewer's id and the
 * photo's id, which is the same in every match of its owner and would let two viewers find out they
 * share a partner), HMAC-SHA256 over iv + ciphertext (truncated to 128 bits) makes any change
 * fail. Both keys are derived from JWT_SECRET with HKDF under their own labels, so a photo token
 * is never a JWT signature or the reverse; a new JWT_SECRET ends every link (they live an hour at
 * most, and the next partner view mints new ones). The IV is an HMAC of the payload (a synthetic
 * IV): the same grant in the same half hour gives the same URL, so the browser's cache works.
 */
export class PhotoLinks {
  readonly #encryption: Buffer;
  readonly #authentication: Buffer;
  readonly #iv: Buffer;

  constructor(jwtSecret: string) {
    const key = (label: string) =>
      Buffer.from(hkdfSync("sha256", jwtSecret, "mystery-match", `mystery-match photo link ${label} v${VERSION}`, 32));
    this.#encryption = key("encryption");
    this.#authentication = key("authentication");
    this.#iv = key("iv");
  }

  /** The expiry a link minted at `now` gets: the end of the next half-hour window (30 to 60 minutes away). */
  static expiryFor(now: Date): Date {
    const seconds = Math.floor(now.getTime() / 1000);
    return new Date((Math.floor(seconds / WINDOW_SECONDS) + 2) * WINDOW_SECONDS * 1000);
  }

  mint(grant: Omit<PhotoGrant, "expiresAt">, now = new Date()): string {
    const payload = Buffer.alloc(PAYLOAD_BYTES);
    payload.writeUInt8(VERSION, 0);
    payload.writeBigUInt64BE(BigInt(grant.viewerId), 1);
    payload.writeBigUInt64BE(BigInt(grant.matchId), 9);
    payload.writeUInt8(grant.level, 17);
    payload.writeUInt32BE(PhotoLinks.expiryFor(now).getTime() / 1000, 18);
    Buffer.from(grant.photoId, "hex").copy(payload, 22);
    const iv = createHmac("sha256", this.#iv).update(payload).digest().subarray(0, IV_BYTES);
    const cipher = createCipheriv("aes-256-ctr", this.#encryption, iv);
    const sealed = Buffer.concat([iv, cipher.update(payload), cipher.final()]);
    return Buffer.concat([sealed, this.#tag(sealed)]).toString("base64url");
  }

  /** Links for one viewer in one match (0: the owner's own photo), minted at `now`. */
  linkFor(viewerId: number, matchId: number, now = new Date()): PhotoLink {
    return (photoId, level) => `${PHOTOS_PATH}/${this.mint({ viewerId, matchId, level, photoId }, now)}`;
  }

  /** The grant a token carries, or null for anything forged, altered, malformed or expired. */
  open(token: string, now = new Date()): PhotoGrant | null {
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(token)) return null;
    const bytes = Buffer.from(token, "base64url");
    if (bytes.length !== IV_BYTES + PAYLOAD_BYTES + TAG_BYTES) return null;
    const sealed = bytes.subarray(0, IV_BYTES + PAYLOAD_BYTES);
    if (!timingSafeEqual(bytes.subarray(sealed.length), this.#tag(sealed))) return null;
    const decipher = createDecipheriv("aes-256-ctr", this.#encryption, sealed.subarray(0, IV_BYTES));
    const payload = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES)), decipher.final()]);
    const level = payload.readUInt8(17);
    const expiresAt = new Date(payload.readUInt32BE(18) * 1000);
    if (payload.readUInt8(0) !== VERSION || (level !== 2 && level !== 3 && level !== 4)) return null;
    if (expiresAt <= now || expiresAt.getTime() - now.getTime() > PHOTO_LINK_MAX_SECONDS * 1000) return null;
    return {
      viewerId: Number(payload.readBigUInt64BE(1)),
      matchId: Number(payload.readBigUInt64BE(9)),
      level,
      photoId: payload.subarray(22).toString("hex"),
      expiresAt,
    };
  }

  /** An ETag for one viewer's copy of one rendition: stable for the photo, and naming nobody. */
  etag(grant: PhotoGrant): string {
    const digest = createHmac("sha256", this.#authentication)
      .update(`etag:${grant.viewerId}:${grant.photoId}:${grant.level}`)
      .digest("base64url");
    return `"${digest.slice(0, 22)}"`;
  }

  #tag(sealed: Buffer): Buffer {
    return createHmac("sha256", this.#authentication).update(sealed).digest().subarray(0, TAG_BYTES);
  }
}

const bySecret = new Map<string, PhotoLinks>();

/** The links of a JWT secret (their keys are derived once per secret). */
export function photoLinks(jwtSecret: string): PhotoLinks {
  let links = bySecret.get(jwtSecret);
  if (!links) {
    links = new PhotoLinks(jwtSecret);
    bySecret.set(jwtSecret, links);
  }
  return links;
}
