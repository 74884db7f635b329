import { randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { expect, it } from "vitest";
import { jwtAuth } from "./auth.js";

it("R8: judges exp by the clock it is given, the one the socket's 4401 timer uses", async () => {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "k", alg: "EdDSA" }] };
  const then = Date.parse("2024-01-01T00:00:00Z");
  const token = await new SignJWT({ device_id: randomUUID() })
    .setProtectedHeader({ alg: "EdDSA", kid: "k" })
    .setSubject(randomUUID())
    .setExpirationTime(Math.floor(then / 1000) + 60)
    .sign(privateKey);
  const request = {
    authorization: `Bearer ${token}`,
    deviceIdHeader: undefined,
    query: () => undefined,
    allowQueryToken: false,
  };
  const byThen = await jwtAuth({ jwks, now: () => then })(request);
  expect(byThen.expiresAt?.getTime()).toBe(then + 65_000);
  await expect(jwtAuth({ jwks })(request)).rejects.toMatchObject({
    body: { type: "unauthorized", message: "token expired" },
  });
});
