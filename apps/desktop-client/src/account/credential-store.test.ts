import { chmod, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
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

// No Secret Service reachable: the keyring is unavailable, as on a Linux machine without
// one. The bus address only means something on Linux (elsewhere the real Keychain or
// Credential Manager would answer), so the tests run there.
const NO_BUS = "/nonexistent/syncline-test-bus";
const linux = process.platform === "linux";
if (!linux)
  console.warn("credential store tests skipped: they make the keyring unreachable on Linux");

let dataDir: string;
const bus = process.env.DBUS_SESSION_BUS_ADDRESS;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "credential-store-"));
  process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${NO_BUS}`;
});
afterEach(async () => {
  if (bus === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
  else process.env.DBUS_SESSION_BUS_ADDRESS = bus;
  await rm(dataDir, { recursive: true, force: true });
});

describe.runIf(linux)("openCredentialStore without a keyring", () => {
  it("keeps the sign-in for this run only, says why, and writes no file", async () => {
    const { store, keyringProblem } = await openCredentialStore({ dataDir, allowFileStore: false });
    expect(store.kind).toBe("memory");
    expect(keyringProblem).toMatch(/keyring is not available .*only while the app runs/);
    // The reason is the unreachable bus itself (not some other failure).
    expect(keyringProblem).toContain(NO_BUS);
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
    expect(keyringProblem).toMatch(/session\.json.*not encrypted/);
    await store.save(credential);
    expect((await stat(join(dataDir, SESSION_FILE))).mode & 0o777).toBe(0o600);
    expect(await readdir(dataDir)).toEqual([SESSION_FILE]); // no draft left behind
    const next = await openCredentialStore({ dataDir, allowFileStore: true });
    expect(await next.store.load()).toEqual(credential);
    await next.store.remove();
    expect(await readdir(dataDir)).toEqual([]);
  });

  it("makes an existing session.json 0600 again and replaces its content", async () => {
    const file = join(dataDir, SESSION_FILE);
    await writeFile(file, JSON.stringify({ ...credential, email: "old@example.com" }));
    await chmod(file, 0o644);
    const { store } = await openCredentialStore({ dataDir, allowFileStore: true });
    await store.save(credential);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await store.load()).toEqual(credential);
  });

  it("a malformed file loads as signed out and is removed", async () => {
    await writeFile(join(dataDir, SESSION_FILE), '{"serverUrl":"x"}', { mode: 0o600 });
    const { store } = await openCredentialStore({ dataDir, allowFileStore: true });
    expect(await store.load()).toBeNull();
    expect(await readdir(dataDir)).toEqual([]);
  });
});
