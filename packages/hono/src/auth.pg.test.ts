import { randomUUID } from "node:crypto";
import { generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSyncTestServer } from "./testing/sync-test-server.js";

// PROTOCOL.md R5–R8: bearer token, device id, WebSocket credentials, 401 cases.
let server: Awaited<ReturnType<typeof startSyncTestServer>>;
beforeAll(async () => {
  server = await startSyncTestServer();
});
afterAll(() => server.close());

const user = randomUUID();
const device = randomUUID();

async function pullStatus(headers: Record<string, string>) {
  return server.request("GET", "/sync/ops", { headers });
}

describe("authentication (R5–R8)", () => {
  it("accepts a valid token with the device in its claim", async () => {
    const token = await server.token({ userId: user, deviceId: device });
    const { status, body } = await server.request("GET", "/sync/ops", { token });
    expect(status).toBe(200);
    expect(body).toEqual({ ops: [], has_more: false, head: 0 });
  });

  it("accepts the device from X-Device-Id when the token has no claim", async () => {
    const token = await server.token({ userId: user });
    expect((await server.request("GET", "/sync/ops", { token, deviceId: device })).status).toBe(
      200,
    );
  });

  it.each([
    ["no Authorization header", {}, "missing bearer token"],
    [
      "a non-Bearer scheme",
      { authorization: "Basic abc" },
      "Authorization header must be 'Bearer <token>'",
    ],
    ["a malformed token", { authorization: "Bearer not.a.jwt" }, "token is invalid"],
  ])("answers 401 unauthorized for %s", async (_case, headers, message) => {
    const { status, body } = await pullStatus(headers);
    expect(status).toBe(401);
    expect(body.type).toBe("unauthorized");
    expect(body.message).toContain(message);
  });

  it("answers 401 for an expired token", async () => {
    const token = await server.token({
      userId: user,
      deviceId: device,
      expiresIn: Math.floor(Date.now() / 1000) - 60,
    });
    const { status, body } = await server.request("GET", "/sync/ops", { token });
    expect(status).toBe(401);
    expect(body).toEqual({ type: "unauthorized", message: "token expired" });
  });

  it("answers 401 for a token without exp (it would never expire)", async () => {
    const forever = await server.token({ userId: user, deviceId: device, expiresIn: null });
    const { status, body } = await server.request("GET", "/sync/ops", { token: forever });
    expect(status).toBe(401);
    expect(body).toEqual({ type: "unauthorized", message: "token has no 'exp' claim" });
  });

  it("answers 401 for a token signed by another key", async () => {
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const forged = await new SignJWT({ device_id: device })
      .setProtectedHeader({ alg: "EdDSA", kid: "test-key" })
      .setSubject(user)
      .setExpirationTime("1h")
      .sign(privateKey);
    const { status, body } = await server.request("GET", "/sync/ops", { token: forged });
    expect(status).toBe(401);
    expect(body).toEqual({ type: "unauthorized", message: "token signature is invalid" });
  });

  it("answers 401 when sub is not a UUID, the device is missing, or not a UUID", async () => {
    const badSub = await server.token({ userId: user, deviceId: device, sub: "alice" });
    expect((await server.request("GET", "/sync/ops", { token: badSub })).body.message).toBe(
      "token 'sub' must be a UUID",
    );
    const noDevice = await server.token({ userId: user });
    const missing = await server.request("GET", "/sync/ops", { token: noDevice });
    expect(missing.status).toBe(401);
    expect(missing.body.message).toContain("no device id");
    const badDevice = await server.request("GET", "/sync/ops", {
      token: noDevice,
      deviceId: "laptop",
    });
    expect(badDevice.body).toEqual({ type: "unauthorized", message: "device id must be a UUID" });
  });

  it("answers 401 when X-Device-Id contradicts the token's device_id claim (R6)", async () => {
    const token = await server.token({ userId: user, deviceId: device });
    const { status, body } = await server.request("GET", "/sync/ops", {
      token,
      deviceId: randomUUID(),
    });
    expect(status).toBe(401);
    expect(body.message).toContain("does not match");
  });

  it("reads the token from access_token only on the WebSocket route (R7)", async () => {
    const token = await server.token({ userId: user, deviceId: device });
    const rest = await server.request("GET", `/sync/ops?access_token=${token}`);
    expect(rest.status).toBe(401);
    const socket = await server.openSocket(`/sync/ws?access_token=${token}`);
    socket.ws.send(JSON.stringify({ type: "ping" }));
    await socket.waitFor((frames) => frames.some((f) => f.type === "pong"));
    socket.ws.close();
  });

  it("refuses the WebSocket handshake without valid credentials", async () => {
    await expect(server.openSocket("/sync/ws")).rejects.toThrow("handshake refused: 401");
    const noDevice = await server.token({ userId: user });
    await expect(server.openSocket(`/sync/ws?access_token=${noDevice}`)).rejects.toThrow(
      "handshake refused: 401",
    );
  });
});
