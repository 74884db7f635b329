import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openCredentialStore, SESSION_FILE, type SessionCredential } from "./credential-store.js";

const credential: SessionCredential = {
  serverUrl: "http://127.0.0.1:8787",
  sessionToken: "s3cret-session-token",
  userId: "0192c1a0-7d90-7e4f-a061-3c4d5e6f7081",
  email: "ann@example.com",
};

let dataDir: string;
const bus = process.env.DBUS_SESSION_BUS_ADDRESS;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "credential-store-"));
  // No Secret Service reachable: the keyring is unavailable, as on a machine without one.
  process.env.DBUS_SESSION_BUS_ADDRESS = "unix:path=/nonexistent/syncline-test-bus";
});
afterEach(async () => {
  if (bus === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
  else process.env.DBUS_SESSION_BUS_ADDRESS = bus;
  await rm(dataDir, { recursive: true, force: true });
});

describe("openCredentialStore without a keyring", () => {
  it("keeps the sign-in for this run only, says why, and writes no file", async () => {
    const { store, keyringProblem } = await openCredentialStore({ dataDir, allowFileStore: false });
    expect(store.kind).toBe("memory");
    expect(keyringProblem).toMatch(/keyring is not available .*only while the app runs/);
    await store.save(credential);
    expect(await store.load()).toEqual(credential);
    expect(await readdir(dataDir)).toEqual([]);
    await store.remove();
    expect(await store.load()).toBeNull();
    // A new store (the next start) has nothing.
    await store.save(credential);
    const next = await openCredentialStore({ dataDir, allowFileStore: false });
    expect(await next.store.load()).toBeNull();
  });

  it("with the user's consent keeps it in session.json, mode 0600, across starts", async () => {
    const { store, keyringProblem } = await openCredentialStore({ dataDir, allowFileStore: true });
    expect(store.kind).toBe("file");
    expect(keyringProblem).toMatch(/session\.json/);
    await store.save(credential);
    expect((await stat(join(dataDir, SESSION_FILE))).mode & 0o777).toBe(0o600);
    const next = await openCredentialStore({ dataDir, allowFileStore: true });
    expect(await next.store.load()).toEqual(credential);
    await next.store.remove();
    expect(await readdir(dataDir)).toEqual([]);
  });

  it("a malformed file loads as signed out and is removed", async () => {
    await writeFile(join(dataDir, SESSION_FILE), '{"serverUrl":"x"}', { mode: 0o600 });
    const { store } = await openCredentialStore({ dataDir, allowFileStore: true });
    expect(await store.load()).toBeNull();
    expect(await readdir(dataDir)).toEqual([]);
  });
});
