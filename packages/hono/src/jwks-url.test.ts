import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jwtAuth } from "./auth.js";

// A JWKS endpoint as an identity provider (e.g. Better Auth) serves it, on a real socket.
let server: Server;
let url: string;
let served: JWK[] = [];
let fetches = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    fetches++;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ keys: served }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

async function keyPair(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256" } };
}

function sign(key: Awaited<ReturnType<typeof keyPair>>, userId: string, deviceId: string) {
  return new SignJWT({ device_id: deviceId })
    .setProtectedHeader({ alg: "ES256", kid: key.kid })
    .setSubject(userId)
    .setExpirationTime("5m")
    .sign(key.privateKey);
}

const request = (token: string) => ({
  authorization: `Bearer ${token}`,
  deviceIdHeader: undefined,
  query: () => undefined,
  allowQueryToken: false,
});

describe("jwtAuth({ jwksUrl })", () => {
  it("verifies against the fetched key set, caches it, and follows a key rotation", async () => {
    const first = await keyPair("k1");
    served = [first.jwk];
    const auth = jwtAuth({ jwksUrl: url, jwksCooldownMs: 0 });
    const [user, device] = [randomUUID(), randomUUID()];
    expect(await auth(request(await sign(first, user, device)))).toMatchObject({
      userId: user,
      deviceId: device,
    });
    await auth(request(await sign(first, user, device)));
    expect(fetches).toBe(1); // cached

    // The provider rotates: a new key appears, the old one is gone.
    const second = await keyPair("k2");
    served = [second.jwk];
    expect(await auth(request(await sign(second, user, device)))).toMatchObject({ userId: user });
    expect(fetches).toBe(2); // the unknown kid refetched the set
  });

  it("checks a token's signature once per verifiedTokenMaxAgeMs, and judges exp on every request", async () => {
    const key = await keyPair("k3");
    served = [key.jwk];
    let clock = Date.now();
    // A key set never cached, so every signature check fetches it: fetches count the checks.
    const auth = jwtAuth({
      jwksUrl: url,
      jwksCacheMaxAgeMs: 0,
      jwksCooldownMs: 0,
      now: () => clock,
    });
    const [user, device] = [randomUUID(), randomUUID()];
    const token = await sign(key, user, device);
    const before = fetches;
    await auth(request(token));
    await auth(request(token));
    expect(fetches - before).toBe(1);
    clock += 61_000; // past the default minute: checked again
    await auth(request(token));
    expect(fetches - before).toBe(2);

    // The provider drops the key: the remembered token is refused once its minute is up.
    served = [];
    expect(await auth(request(token))).toMatchObject({ userId: user });
    clock += 61_000;
    await expect(auth(request(token))).rejects.toMatchObject({
      body: { type: "unauthorized", message: "token signed by an unknown key" },
    });

    // Remembered or not, a token is refused once exp plus the tolerance has passed.
    served = [key.jwk];
    const fresh = await sign(key, user, device);
    const { expiresAt } = await auth(request(fresh));
    clock = expiresAt!.getTime() - 1;
    expect(await auth(request(fresh))).toMatchObject({ userId: user });
    const checks = fetches;
    clock = expiresAt!.getTime();
    await expect(auth(request(fresh))).rejects.toMatchObject({
      body: { type: "unauthorized", message: "token expired" },
    });
    expect(fetches).toBe(checks + 1); // the expired token went to jose, which refused it
  });

  it("checks every request's signature with verifiedTokenCacheSize 0", async () => {
    const key = await keyPair("k4");
    served = [key.jwk];
    const auth = jwtAuth({
      jwksUrl: url,
      jwksCacheMaxAgeMs: 0,
      jwksCooldownMs: 0,
      verifiedTokenCacheSize: 0,
    });
    const token = await sign(key, randomUUID(), randomUUID());
    const before = fetches;
    for (let i = 0; i < 3; i++) await auth(request(token));
    expect(fetches - before).toBe(3);
  });

  it("refuses a token whose kid the provider does not publish", async () => {
    const stranger = await keyPair("not-published");
    const auth = jwtAuth({ jwksUrl: url, jwksCooldownMs: 0 });
    await expect(
      auth(request(await sign(stranger, randomUUID(), randomUUID()))),
    ).rejects.toMatchObject({
      body: { type: "unauthorized", message: "token signed by an unknown key" },
    });
  });
});
