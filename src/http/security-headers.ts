// The security headers (API.md Part 2, "Deployment defaults are safe"): the web page's and the docs page's
// Content-Security-Policy, and nosniff + no-referrer on every response.
import { Elysia } from "elysia";

/** On every response: no type sniffing, and no Referer leaving the page (its URL may hold a match id). */
export const BASE_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
} as const;

/** A host[:port] that may be written into a policy: a DNS name, an IPv4 or a bracketed IPv6 address. */
const PLAIN_HOST =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,62})?(?:\.[a-z0-9](?:[a-z0-9-]{0,62})?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * The web page's policy: everything from this origin only, the Mini App script from telegram.org, and
 * framing by Telegram Web only. `host` is the request's Host header; the chat socket's ws:/wss: origin is
 * named explicitly because browsers before CSP 3 (and older WebKit) do not let 'self' cover ws: and wss:.
 * A Host that is not a plain host name is left out ('self' alone then), so nothing can be injected.
 * Images may also come from any https: address: a profile's external photo_url is shown as it is.
 * Inline style attributes are allowed: the page sets a photo's blur with one (never markup from the server).
 */
export function pageCsp(host: string | null): string {
  const sockets = host && PLAIN_HOST.test(host) ? ` ws://${host} wss://${host}` : "";
  return [
    "default-src 'none'",
    "script-src 'self' https://telegram.org",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob: https:",
    "font-src 'self'",
    `connect-src 'self'${sockets}`,
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self' https://web.telegram.org",
  ].join("; ");
}

/**
 * The docs page's policy: only this origin. Scalar adds its stylesheet as a <style> element and sets
 * styles on its elements at run time, hence 'unsafe-inline' for styles (never for scripts); its icons
 * are data: URLs. Nothing may frame the page where operators paste ADMIN_TOKEN.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Puts BASE_HEADERS on every response the app makes, refusals and errors included. */
export const securityHeaders = new Elysia({ name: "security-headers" }).onRequest(({ set }) => {
  Object.assign(set.headers, BASE_HEADERS);
});
