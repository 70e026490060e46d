// The client address that every per-address limit counts by: the connection's, or behind a trusted
// proxy the last hop of X-Forwarded-For.
import { isIP } from "node:net";

/** What answers "which address is this request's connection from": Bun's server, null in-process. */
export interface AddressSource {
  requestIP(request: Request): { address: string } | null;
}

/**
 * An address as one key: an IPv4-mapped IPv6 address as its IPv4 form, IPv6 in lower case, a
 * port or brackets a proxy wrote dropped. Null when `text` is not an IP address.
 */
export function normalizeAddress(text: string): string | null {
  let address = text.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) address = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(":"));
  address = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (mapped) address = mapped[1]!;
  return isIP(address) === 0 ? null : address;
}

/**
 * The address the per-address limits count `request` by.
 *
 * - With `trustProxy` (TRUST_PROXY=1) it is the last hop of X-Forwarded-For: the address the proxy
 *   in front of this server saw. The hops before it are whatever the client wrote, so they are never
 *   used. Without a usable last hop (no header, or not an address) it is the connection's.
 * - Otherwise it is the connection's address; X-Forwarded-For is ignored, so a client cannot pick
 *   a fresh address per request.
 *
 * Null when there is no address to tell: a request handled in-process (app.handle) without a trusted
 * header, or a connection that closed before it was asked (its reply reaches no one). The
 * per-address limits neither check nor count such a request.
 */
export function clientAddress(request: Request, server: AddressSource | null, trustProxy: boolean): string | null {
  if (trustProxy) {
    const hops = request.headers.get("x-forwarded-for")?.split(",");
    const last = hops === undefined ? null : normalizeAddress(hops.at(-1)!);
    if (last !== null) return last;
  }
  const connection = server?.requestIP(request)?.address;
  return connection === undefined ? null : normalizeAddress(connection);
}
