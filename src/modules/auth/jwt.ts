// HS256 JSON Web Tokens: signing and strict verification (no other algorithm is ever accepted).
import { createHmac, timingSafeEqual } from "node:crypto";

const HEADER = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url");
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function signature(secret: string, signingInput: string): Buffer {
  return createHmac("sha256", secret).update(signingInput).digest();
}

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

/** Parses a decimal user id string; null unless it is a positive integer ≤ 2^53−1. */
export function parseUserId(value: unknown): number | null {
  if (typeof value !== "string" || !/^[1-9]\d{0,15}$/.test(value)) return null;
  const id = Number(value);
  return Number.isSafeInteger(id) ? id : null;
}

/** The `exp` claim (whole seconds) of a token signed at `now`. */
export function tokenExpiry(now: Date, ttlSeconds: number): Date {
  return new Date((Math.floor(now.getTime() / 1000) + ttlSeconds) * 1000);
}

export function signToken(secret: string, userId: number, ttlSeconds: number, now = new Date()): string {
  const iat = Math.floor(now.getTime() / 1000);
  const exp = tokenExpiry(now, ttlSeconds).getTime() / 1000;
  const payload = Buffer.from(JSON.stringify({ sub: String(userId), iat, exp })).toString("base64url");
  const signingInput = `${HEADER}.${payload}`;
  return `${signingInput}.${signature(secret, signingInput).toString("base64url")}`;
}

/** Returns the token's user id, or null for anything malformed, forged, expired or not yet valid. */
export function verifyToken(secret: string, token: string, now = new Date()): number | null {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) return null;
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];

  const header = decodeJson(headerPart) as { alg?: unknown } | undefined;
  if (typeof header !== "object" || header === null || header.alg !== "HS256") return null;

  const expected = signature(secret, `${headerPart}.${payloadPart}`);
  const given = Buffer.from(signaturePart, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;

  const payload = decodeJson(payloadPart) as { sub?: unknown; exp?: unknown; nbf?: unknown } | undefined;
  if (typeof payload !== "object" || payload === null) return null;
  const seconds = now.getTime() / 1000;
  if (payload.exp !== undefined && (typeof payload.exp !== "number" || seconds >= payload.exp)) return null;
  if (payload.nbf !== undefined && (typeof payload.nbf !== "number" || seconds < payload.nbf)) return null;
  return parseUserId(payload.sub);
}
