import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isLoopbackRedirect, NativeAuthorizationSchema, s256Challenge } from "./native-app.js";

describe("isLoopbackRedirect (RFC 8252 §7.3)", () => {
  it("takes http to 127.0.0.1 or [::1] on any port and path", () => {
    for (const uri of [
      "http://127.0.0.1:49152/callback",
      "http://127.0.0.1/",
      "http://[::1]:8080/auth/done?x=1",
    ]) {
      expect(isLoopbackRedirect(uri)).toBe(true);
    }
  });

  it("refuses every other host, scheme, credentials and fragments", () => {
    for (const uri of [
      "https://127.0.0.1:1/cb",
      "http://localhost:1/cb",
      "http://127.0.0.2:1/cb",
      "http://127.0.0.1.evil.example/cb",
      "http://user:pw@127.0.0.1:1/cb",
      "http://127.0.0.1:1/cb#frag",
      "http://127.0.0.1:1/cb#",
      "javascript:alert(1)",
      "//127.0.0.1/cb",
      "",
    ]) {
      expect(isLoopbackRedirect(uri)).toBe(false);
    }
  });

  it("never takes a URL whose host is not a loopback literal, whatever else it holds (property)", () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (uri) => {
        const host = new URL(uri).hostname;
        if (host !== "127.0.0.1" && host !== "[::1]") expect(isLoopbackRedirect(uri)).toBe(false);
      }),
    );
  });
});

describe("PKCE", () => {
  it("computes the S256 challenge of RFC 7636 appendix B", () => {
    expect(s256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });

  it("takes only S256 with a 43-character challenge and a printable state", () => {
    const valid = {
      redirect_uri: "http://127.0.0.1:5000/cb",
      state: "abcdefgh",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
    };
    expect(NativeAuthorizationSchema.safeParse(valid).success).toBe(true);
    for (const bad of [
      { code_challenge_method: "plain" },
      { code_challenge: "short" },
      { state: "short" },
      { state: "has space and more" },
      { redirect_uri: "http://localhost:5000/cb" },
    ]) {
      expect(NativeAuthorizationSchema.safeParse({ ...valid, ...bad }).success).toBe(false);
    }
  });
});
