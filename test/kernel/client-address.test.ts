// The one rule for the client address of every per-address limit (src/kernel/client-address.ts).
import { describe, expect, test } from "bun:test";
import { type AddressSource, clientAddress, normalizeAddress } from "../../src/kernel/client-address";

/** A server whose connections all come from `address` (null: Bun cannot tell, the socket closed). */
const from = (address: string | null): AddressSource => ({
  requestIP: () => (address === null ? null : { address }),
});
const request = (forwardedFor?: string | string[]) => {
  const headers = new Headers();
  for (const value of [forwardedFor ?? []].flat()) headers.append("x-forwarded-for", value);
  return new Request("http://localhost/api/auth/telegram", { method: "POST", headers });
};

describe("clientAddress", () => {
  test("without TRUST_PROXY: the connection's address; X-Forwarded-For is ignored", () => {
    expect(clientAddress(request(), from("198.51.100.7"), false)).toBe("198.51.100.7");
    expect(clientAddress(request("203.0.113.1"), from("198.51.100.7"), false)).toBe("198.51.100.7");
  });

  test("with TRUST_PROXY: the last hop of X-Forwarded-For, whatever the client wrote before it", () => {
    const proxy = from("10.0.0.2");
    expect(clientAddress(request("203.0.113.1"), proxy, true)).toBe("203.0.113.1");
    expect(clientAddress(request("1.1.1.1, 2.2.2.2,203.0.113.1"), proxy, true)).toBe("203.0.113.1");
    // Several header lines are one list, in order.
    expect(clientAddress(request(["1.1.1.1", "203.0.113.1"]), proxy, true)).toBe("203.0.113.1");
    expect(clientAddress(request("1.1.1.1, 2001:DB8::1"), proxy, true)).toBe("2001:db8::1");
  });

  test("with TRUST_PROXY but no usable last hop: the connection's address", () => {
    const proxy = from("10.0.0.2");
    expect(clientAddress(request(), proxy, true)).toBe("10.0.0.2");
    expect(clientAddress(request(""), proxy, true)).toBe("10.0.0.2");
    expect(clientAddress(request("203.0.113.1, "), proxy, true)).toBe("10.0.0.2");
    expect(clientAddress(request("203.0.113.1, unknown"), proxy, true)).toBe("10.0.0.2");
    expect(clientAddress(request("203.0.113.1, evil:key"), proxy, true)).toBe("10.0.0.2");
  });

  test("no address to tell: in-process (no server), or a connection already closed", () => {
    expect(clientAddress(request(), null, false)).toBeNull();
    expect(clientAddress(request("203.0.113.1"), null, false)).toBeNull();
    expect(clientAddress(request(), from(null), false)).toBeNull();
    // A trusted header is an address even in-process.
    expect(clientAddress(request("203.0.113.1"), null, true)).toBe("203.0.113.1");
  });

  test("the connection's IPv4-mapped address counts as its IPv4 address", () => {
    expect(clientAddress(request(), from("::ffff:198.51.100.7"), false)).toBe("198.51.100.7");
  });
});

describe("normalizeAddress", () => {
  test.each([
    ["198.51.100.7", "198.51.100.7"],
    [" 198.51.100.7 ", "198.51.100.7"],
    ["198.51.100.7:4711", "198.51.100.7"],
    ["::1", "::1"],
    ["[2001:db8::1]:443", "2001:db8::1"],
    ["[2001:db8::1]", "2001:db8::1"],
    ["2001:DB8::A", "2001:db8::a"],
    ["::FFFF:198.51.100.7", "198.51.100.7"],
  ])("%s → %s", (text, address) => {
    expect(normalizeAddress(text)).toBe(address);
  });

  test.each(["", "unknown", "example.com", "198.51.100", "999.1.1.1", "1.2.3.4:x", "a:b", "[::1"])(
    "%j is not an address",
    (text) => {
      expect(normalizeAddress(text)).toBeNull();
    },
  );
});
