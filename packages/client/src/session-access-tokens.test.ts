import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { RefreshUnavailableError, SessionEndedError, sessionAccessTokens } from "./index.js";

/** A JWT-shaped token (unsigned: the helper reads only `exp`) expiring at `expSeconds`. */
const jwtExpiring = (expSeconds: number, n: number) =>
  `h.${Buffer.from(JSON.stringify({ sub: "u", exp: expSeconds, n })).toString("base64url")}.s`;

let server: Server | undefined;
afterEach(
  () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
);

/** A loopback HTTP server standing in for `/api/auth/token`; `answer` decides each response. */
async function tokenEndpoint(answer: (authorization: string | undefined) => [number, unknown]) {
  const seen: (string | undefined)[] = [];
  server = createServer((request, response) => {
    seen.push(request.headers.authorization);
    const [status, body] = answer(request.headers.authorization);
    setTimeout(
      () =>
        response
          .writeHead(status, { "content-type": "application/json" })
          .end(JSON.stringify(body)),
      20,
    );
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe("sessionAccessTokens", () => {
  it("sends the session as bearer, shares one request among concurrent callers, and reuses a token until shortly before exp", async () => {
    let issued = 0;
    let now = 1_000_000;
    const { url, seen } = await tokenEndpoint(() => [
      200,
      { token: jwtExpiring(now / 1000 + 900, ++issued) },
    ]);
    const tokens = sessionAccessTokens({
      url,
      sessionToken: "s3ss10n",
      scheduler: { now: () => now, schedule: () => () => {} },
    });
    const [a, b, c] = await Promise.all([tokens.token(), tokens.token(), tokens.refreshToken()]);
    expect(new Set([a, b, c]).size).toBe(1);
    expect(seen).toEqual(["Bearer s3ss10n"]);
    now += 800_000; // 100 s before exp: still good
    expect(await tokens.token()).toBe(a);
    now += 50_000; // 50 s before exp: inside the renewal minute
    expect(await tokens.token()).not.toBe(a);
    expect(seen).toHaveLength(2);
    expect(await tokens.refreshToken()).not.toBe(a); // a refresh always asks anew
    expect(seen).toHaveLength(3);
  });

  it("a 401 ends the session (SessionEndedError); a 5xx or no answer is RefreshUnavailableError", async () => {
    let status = 401;
    const { url } = await tokenEndpoint(() => [status, { message: "Unauthorized" }]);
    const tokens = sessionAccessTokens({ url, sessionToken: "revoked" });
    await expect(tokens.refreshToken()).rejects.toBeInstanceOf(SessionEndedError);
    status = 503;
    await expect(tokens.refreshToken()).rejects.toBeInstanceOf(RefreshUnavailableError);
    status = 200; // a 200 without a token breaks the contract: not usable, retried later
    await expect(tokens.refreshToken()).rejects.toBeInstanceOf(RefreshUnavailableError);
    const unreachable = sessionAccessTokens({ url: "http://127.0.0.1:9", sessionToken: "x" });
    await expect(unreachable.token()).rejects.toBeInstanceOf(RefreshUnavailableError);
  });
});
