import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startDesktopApp } from "./desktop-app.js";
import {
  acquireInstanceLock,
  type InstanceLock,
  InstanceLockError,
  instanceLockPath,
} from "./instance-lock.js";
import { MemoryBackend } from "./testing/memory-backend.js";

let dir: string;
const cleanups: (() => unknown)[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "instance-lock-"));
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(dir, { recursive: true, force: true });
});

async function acquired(): Promise<InstanceLock> {
  const outcome = await acquireInstanceLock(dir, { startupMs: 300, probeMs: 300 });
  if (outcome.kind !== "acquired") throw new Error(`expected the lock, got ${outcome.kind}`);
  cleanups.push(() => outcome.lock.release());
  return outcome.lock;
}

const writeLock = (holder: object) => writeFile(instanceLockPath(dir), JSON.stringify(holder));
const readLock = async () => JSON.parse(await readFile(instanceLockPath(dir), "utf8"));

/** A pid no process has any more: a child that already exited. */
function deadPid(): number {
  return Number(
    execFileSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]),
  );
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A server on a free port, closed after the test. */
async function listening(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => {
    if ("closeAllConnections" in server) (server as http.Server).closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as net.AddressInfo).port;
}

describe("acquireInstanceLock", () => {
  it("creates the folder and a 0600 lock holding the pid, then the address", async () => {
    dir = path.join(dir, "nested", "data");
    const lock = await acquired();
    expect(lock.path).toBe(path.join(dir, "instance.lock"));
    expect((await stat(lock.path)).mode & 0o777).toBe(0o600);
    expect(await readLock()).toEqual({ pid: process.pid });
    lock.publish({ port: 4321, secret: "s3cret" });
    expect(await readLock()).toEqual({ pid: process.pid, port: 4321, secret: "s3cret" });
    lock.release();
    await expect(stat(lock.path)).rejects.toThrow(/ENOENT/);
  });

  it("finds the running app that holds the lock and answers at its port", async () => {
    const lock = await acquired();
    const app = await startDesktopApp({ dataDir: dir, backend: new MemoryBackend(), uiDir: dir });
    cleanups.push(() => app.close());
    lock.publish({ port: app.port, secret: app.secret });
    const outcome = await acquireInstanceLock(dir);
    expect(outcome).toEqual({
      kind: "running",
      instance: { pid: process.pid, port: app.port, secret: app.secret, url: app.url },
    });
  });

  it("takes over a lock whose process is gone", async () => {
    await writeLock({ pid: deadPid(), port: await closedPort(), secret: "old" });
    await acquired();
    expect(await readLock()).toEqual({ pid: process.pid });
  });

  it("takes over a lock of a process that died while starting", async () => {
    await writeLock({ pid: deadPid() });
    await acquired();
    expect(await readLock()).toEqual({ pid: process.pid });
  });

  it("takes over a lock whose pid lives but whose port has nobody (a reused pid)", async () => {
    await writeLock({ pid: process.pid, port: await closedPort(), secret: "old" });
    await acquired();
    expect(await readLock()).toEqual({ pid: process.pid });
  });

  it("takes over a lock whose port is another server's", async () => {
    const port = await listening(http.createServer((_, response) => response.end("{}")));
    await writeLock({ pid: process.pid, port, secret: "old" });
    await acquired();
  });

  it("refuses to start when the holder lives and its port does not answer", async () => {
    const port = await listening(
      net.createServer((socket) => cleanups.push(() => socket.destroy())),
    );
    await writeLock({ pid: process.pid, port, secret: "s" });
    const outcome = acquireInstanceLock(dir, { probeMs: 200 });
    await expect(outcome).rejects.toThrow(InstanceLockError);
    await expect(outcome).rejects.toThrow(/does not answer.*delete that file/);
    expect(await readLock()).toMatchObject({ port });
  });

  it("waits for a starting holder, and gives up naming the lock", async () => {
    await acquired();
    const started = Date.now();
    await expect(acquireInstanceLock(dir, { startupMs: 300 })).rejects.toThrow(
      /instance\.lock but has not finished starting/,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it("finds a starting holder once it publishes its address", async () => {
    const lock = await acquired();
    const second = acquireInstanceLock(dir, { startupMs: 5000 });
    const app = await startDesktopApp({ dataDir: dir, backend: new MemoryBackend(), uiDir: dir });
    cleanups.push(() => app.close());
    await new Promise((resolve) => setTimeout(resolve, 200));
    lock.publish({ port: app.port, secret: app.secret });
    expect(await second).toMatchObject({ kind: "running", instance: { port: app.port } });
  });

  it("gives a stale lock to exactly one of many simultaneous starts", async () => {
    await writeLock({ pid: deadPid() });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, () => acquireInstanceLock(dir, { startupMs: 300 })),
    );
    const winners = outcomes.filter(
      (outcome) => outcome.status === "fulfilled" && outcome.value.kind === "acquired",
    );
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === "rejected") expect(outcome.reason).toBeInstanceOf(InstanceLockError);
    }
    const [winner] = winners as PromiseFulfilledResult<{ kind: "acquired"; lock: InstanceLock }>[];
    winner!.value.lock.release();
  });

  it("leaves a lock that is no longer its own on release", async () => {
    const lock = await acquired();
    await writeLock({ pid: deadPid() });
    lock.release();
    expect(await readLock()).toHaveProperty("pid");
  });
});
