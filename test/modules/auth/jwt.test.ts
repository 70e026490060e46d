// Unit tests of the HS256 JWT signer and its strict verifier.
import { describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { parseUserId, signToken, verifyToken } from "../../../src/modules/auth/jwt";

const SECRET = "unit-test-secret-that-is-long-enough-0123";
const NOW = new Date("2026-01-01T12:00:00.000Z");
const NOW_S = NOW.getTime() / 1000;

const b64 = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** A token with any header and payload, correctly signed with HS256 unless `signature` is given. */
function craft(header: unknown, payload: unknown, options: { secret?: string; signature?: string } = {}): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const sig =
    options.signature ??
    createHmac("sha256", options.secret ?? SECRET)
      .update(input)
      .digest("base64url");
  return `${input}.${sig}`;
}

const HS256 = { alg: "HS256", typ: "JWT" };

function decodePart(token: string, index: number): any {
  return JSON.parse(Buffer.from(token.split(".")[index]!, "base64url").toString("utf8"));
}

describe("signToken", () => {
  test("produces an HS256 JWT with sub, iat and exp", () => {
    const token = signToken(SECRET, 42, 3600, NOW);
    expect(token.split(".")).toHaveLength(3);
    expect(decodePart(token, 0)).toEqual({ alg: "HS256", typ: "JWT" });
    expect(decodePart(token, 1)).toEqual({ sub: "42", iat: NOW_S, exp: NOW_S + 3600 });
  });

  test("the signature is the HMAC-SHA256 of header.payload", () => {
    const token = signToken(SECRET, 42, 3600, NOW);
    const [header, payload, sig] = token.split(".");
    expect(sig).toBe(createHmac("sha256", SECRET).update(`${header}.${payload}`).digest("base64url"));
  });
});

describe("verifyToken: valid tokens", () => {
  test("sign → verify round trip returns the user id", () => {
    expect(verifyToken(SECRET, signToken(SECRET, 42, 3600, NOW), NOW)).toBe(42);
  });

  test("round trip with the largest safe user id", () => {
    const id = Number.MAX_SAFE_INTEGER;
    expect(verifyToken(SECRET, signToken(SECRET, id, 3600, NOW), NOW)).toBe(id);
  });

  test("a crafted token without exp or nbf is accepted", () => {
    expect(verifyToken(SECRET, craft(HS256, { sub: "7" }), NOW)).toBe(7);
  });

  test("a header without typ is accepted (only alg matters)", () => {
    expect(verifyToken(SECRET, craft({ alg: "HS256" }, { sub: "7" }), NOW)).toBe(7);
  });

  test("a token is valid until just before exp", () => {
    const token = signToken(SECRET, 5, 60, NOW);
    expect(verifyToken(SECRET, token, new Date(NOW.getTime() + 59_999))).toBe(5);
  });

  test("nbf equal to now is accepted", () => {
    expect(verifyToken(SECRET, craft(HS256, { sub: "7", nbf: NOW_S }), NOW)).toBe(7);
  });
});

describe("verifyToken: forged or altered tokens", () => {
  test("a token signed with another secret is refused", () => {
    const token = signToken("another-secret-that-is-long-enough-9876", 42, 3600, NOW);
    expect(verifyToken(SECRET, token, NOW)).toBeNull();
  });

  test("a tampered payload (sub changed, old signature kept) is refused", () => {
    const token = signToken(SECRET, 42, 3600, NOW);
    const [header, , sig] = token.split(".");
    const forged = `${header}.${b64({ sub: "43", iat: NOW_S, exp: NOW_S + 3600 })}.${sig}`;
    expect(verifyToken(SECRET, forged, NOW)).toBeNull();
  });

  test("a tampered payload (exp extended, old signature kept) is refused", () => {
    const token = signToken(SECRET, 42, 60, NOW);
    const [header, , sig] = token.split(".");
    const forged = `${header}.${b64({ sub: "42", iat: NOW_S, exp: NOW_S + 10 ** 9 })}.${sig}`;
    expect(verifyToken(SECRET, forged, NOW)).toBeNull();
  });

  test("a signature with a changed byte is refused", () => {
    const token = signToken(SECRET, 42, 3600, NOW);
    const [header, payload, sig] = token.split(".");
    const bytes = Buffer.from(sig!, "base64url");
    bytes[0] = bytes[0]! ^ 1;
    expect(verifyToken(SECRET, `${header}.${payload}.${bytes.toString("base64url")}`, NOW)).toBeNull();
  });

  test("a truncated signature is refused", () => {
    const token = signToken(SECRET, 42, 3600, NOW);
    expect(verifyToken(SECRET, token.slice(0, -4), NOW)).toBeNull();
  });

  test("alg none with an empty signature is refused", () => {
    const token = `${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: "42" })}.`;
    expect(verifyToken(SECRET, token, NOW)).toBeNull();
  });

  test("alg none with a valid-looking HMAC signature is refused", () => {
    expect(verifyToken(SECRET, craft({ alg: "none", typ: "JWT" }, { sub: "42" }), NOW)).toBeNull();
  });

  test.each(["HS512", "RS256", "hs256", "HS384", "ES256", ""])("alg %p, even HMAC-SHA256 signed, is refused", (alg) => {
    expect(verifyToken(SECRET, craft({ alg, typ: "JWT" }, { sub: "42" }), NOW)).toBeNull();
  });

  test("a header without alg is refused", () => {
    expect(verifyToken(SECRET, craft({ typ: "JWT" }, { sub: "42" }), NOW)).toBeNull();
  });

  test("a header that is not an object is refused", () => {
    expect(verifyToken(SECRET, craft(JSON.stringify("HS256"), { sub: "42" }), NOW)).toBeNull();
    expect(verifyToken(SECRET, craft(null, { sub: "42" }), NOW)).toBeNull();
  });
});

describe("verifyToken: time claims", () => {
  test("an expired token (exp in the past) is refused", () => {
    const token = signToken(SECRET, 42, 60, NOW);
    expect(verifyToken(SECRET, token, new Date(NOW.getTime() + 61_000))).toBeNull();
  });

  test("a token is refused exactly at exp", () => {
    const token = signToken(SECRET, 42, 60, NOW);
    expect(verifyToken(SECRET, token, new Date(NOW.getTime() + 60_000))).toBeNull();
  });

  test("a token signed with a negative ttl is already expired", () => {
    expect(verifyToken(SECRET, signToken(SECRET, 42, -10, NOW), NOW)).toBeNull();
  });

  test("a crafted exp in the past is refused", () => {
    expect(verifyToken(SECRET, craft(HS256, { sub: "42", exp: NOW_S - 1 }), NOW)).toBeNull();
  });

  test("exp that is not a number is refused", () => {
    expect(verifyToken(SECRET, craft(HS256, { sub: "42", exp: String(NOW_S + 3600) }), NOW)).toBeNull();
    expect(verifyToken(SECRET, craft(HS256, { sub: "42", exp: null }), NOW)).toBeNull();
  });

  test("nbf in the future is refused", () => {
    expect(verifyToken(SECRET, craft(HS256, { sub: "42", nbf: NOW_S + 60 }), NOW)).toBeNull();
  });

  test("nbf that is not a number is refused", () => {
    expect(verifyToken(SECRET, craft(HS256, { sub: "42", nbf: "0" }), NOW)).toBeNull();
  });
});

describe("verifyToken: sub", () => {
  test.each([
    ["0", "0"],
    ["-1", "-1"],
    ["abc", "abc"],
    ["1.5", "1.5"],
    ["a number", 123],
    ["2^53+1", "9007199254740993"],
    ["2^53", "9007199254740992"],
    ["leading zero", "042"],
    ["exponent", "1e3"],
    ["hex", "0x10"],
    ["whitespace", " 42"],
    ["empty", ""],
    ["null", null],
    ["an array", ["42"]],
  ])("sub %s is refused", (_name, sub) => {
    expect(verifyToken(SECRET, craft(HS256, { sub }), NOW)).toBeNull();
  });

  test("a missing sub is refused", () => {
    expect(verifyToken(SECRET, craft(HS256, { exp: NOW_S + 60 }), NOW)).toBeNull();
  });

  test("sub 2^53-1 is accepted", () => {
    expect(verifyToken(SECRET, craft(HS256, { sub: "9007199254740991" }), NOW)).toBe(9007199254740991);
  });

  test("a payload that is not an object is refused", () => {
    expect(verifyToken(SECRET, craft(HS256, JSON.stringify("42")), NOW)).toBeNull();
    expect(verifyToken(SECRET, craft(HS256, null), NOW)).toBeNull();
    expect(verifyToken(SECRET, craft(HS256, [42]), NOW)).toBeNull();
  });
});

describe("verifyToken: malformed tokens", () => {
  const valid = signToken(SECRET, 42, 3600, NOW);
  const [header, payload, sig] = valid.split(".") as [string, string, string];

  test("two parts are refused", () => {
    expect(verifyToken(SECRET, `${header}.${payload}`, NOW)).toBeNull();
  });

  test("four parts are refused", () => {
    expect(verifyToken(SECRET, `${valid}.${sig}`, NOW)).toBeNull();
    expect(verifyToken(SECRET, `${valid}.`, NOW)).toBeNull();
  });

  test("an empty string and lone dots are refused", () => {
    expect(verifyToken(SECRET, "", NOW)).toBeNull();
    expect(verifyToken(SECRET, "..", NOW)).toBeNull();
  });

  test("non-base64url characters are refused", () => {
    // Standard base64 (+, /, =) and other characters are not base64url.
    const signingInput = `${header}.${payload}`;
    const stdSig = createHmac("sha256", SECRET).update(signingInput).digest("base64");
    expect(verifyToken(SECRET, `${signingInput}.${stdSig}`, NOW)).toBeNull();
    expect(verifyToken(SECRET, `${header}.${payload}!.${sig}`, NOW)).toBeNull();
    expect(verifyToken(SECRET, `${header} .${payload}.${sig}`, NOW)).toBeNull();
    expect(verifyToken(SECRET, `${header}.${payload}.${sig}=`, NOW)).toBeNull();
  });

  test("garbage JSON in the payload is refused even when correctly signed", () => {
    const input = `${header}.${b64("{not json")}`;
    const garbageSig = createHmac("sha256", SECRET).update(input).digest("base64url");
    expect(verifyToken(SECRET, `${input}.${garbageSig}`, NOW)).toBeNull();
  });

  test("garbage JSON in the header is refused", () => {
    expect(verifyToken(SECRET, craft("{alg:HS256", { sub: "42" }), NOW)).toBeNull();
  });

  test("random base64url text is refused", () => {
    expect(verifyToken(SECRET, "abc.def.ghi", NOW)).toBeNull();
  });
});

describe("parseUserId", () => {
  test("accepts positive decimal strings up to 2^53-1", () => {
    expect([parseUserId("1"), parseUserId("123456789"), parseUserId("9007199254740991")]).toEqual([
      1, 123456789, 9007199254740991,
    ]);
  });

  test("refuses everything else", () => {
    const bad: unknown[] = [
      "0",
      "-1",
      "01",
      "1.0",
      "abc",
      "",
      "9007199254740992",
      "99999999999999999",
      5,
      null,
      undefined,
    ];
    expect(bad.map(parseUserId)).toEqual(bad.map(() => null));
  });
});
