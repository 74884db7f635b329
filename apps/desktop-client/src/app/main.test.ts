import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { instanceLockPath } from "./instance-lock.js";
import { SECRET_HEADER } from "./request-guard.js";

const packageDir = fileURLToPath(new URL("../..", import.meta.url));
const fixture = fileURLToPath(new URL("./testing/open-with-memory-backend.ts", import.meta.url));

interface RunningChild {
  readonly child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves with the first match of `pattern` in its output. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Its exit code (or the signal that ended it). */
  readonly exited: Promise<number | NodeJS.Signals>;
}

let dir: string;
const children: ChildProcess[] = [];

function open(...args: string[]): RunningChild {
  const child = spawn(process.execPath, ["--import", "tsx", fixture, ...args], {
    cwd: packageDir,
    env: { ...process.env, SYNCLINE_PLAYLISTS_DATA_DIR: undefined },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  const waiters = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk;
    for (const wake of waiters) wake();
  };
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal!)),
  );
  return {
    child,
    output: () => output,
    exited,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match === null) return;
          waiters.delete(check);
          resolve(match);
        };
        waiters.add(check);
        void exited.then(() => {
          check();
          if (waiters.has(check)) reject(new Error(`exited without ${pattern}:\n${output}`));
        });
        check();
      }),
  };
}

const openOn = (...more: string[]) => open("--data-dir", dir, "--no-window", ...more);
const RUNNING = /running at (http:\/\/127\.0\.0\.1:\d+\/)/;
const backendOpens = async () =>
  (await readFile(path.join(dir, "backend-opens.log"), "utf8")).trim().split("\n");

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "open-command-"));
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  await rm(dir, { recursive: true, force: true });
});

describe("syncline-playlists open", () => {
  it("runs once per data folder: a second start shows the first one's window and exits", async () => {
    const first = openOn();
    const [, url] = await first.waitFor(RUNNING);
    await first.waitFor(/window requested/);
    const second = openOn();
    expect(await second.exited).toBe(0);
    expect(second.output()).toContain(`already running at ${url} (data: ${dir})`);
    await expect.poll(() => first.output().match(/window requested/g)?.length).toBe(2);
    expect(await backendOpens()).toEqual([String(first.child.pid)]);
  });

  it("keeps the secret out of what it prints, and in a 0600 lock file", async () => {
    const first = openOn();
    const [, url] = await first.waitFor(RUNNING);
    const lock = JSON.parse(await readFile(instanceLockPath(dir), "utf8"));
    expect(lock).toMatchObject({ pid: first.child.pid, port: Number(new URL(url!).port) });
    expect((await stat(instanceLockPath(dir))).mode & 0o777).toBe(0o600);
    expect(first.output()).not.toContain(lock.secret);
    const answer = await fetch(new URL("/api/status", url), {
      headers: { [SECRET_HEADER]: lock.secret },
    });
    expect(answer.status).toBe(200);
    expect((await fetch(new URL("/api/status", url))).status).toBe(401);
  });

  it("lets exactly one of two simultaneous starts open the backend", async () => {
    const starts = [openOn(), openOn()];
    const running = await Promise.race(
      starts.map((start) => start.waitFor(RUNNING).then(() => start)),
    );
    const other = starts.find((start) => start !== running)!;
    expect(await other.exited).toBe(0);
    expect(other.output()).toMatch(/already running/);
    expect(await backendOpens()).toEqual([String(running.child.pid)]);
  });

  it("quits on SIGTERM, removing its lock, so the next start runs", async () => {
    const first = openOn();
    await first.waitFor(RUNNING);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    await expect(stat(instanceLockPath(dir))).rejects.toThrow(/ENOENT/);
    const next = openOn();
    await next.waitFor(RUNNING);
    expect(await backendOpens()).toHaveLength(2);
  });

  it("takes over the lock a killed instance left", async () => {
    const first = openOn();
    await first.waitFor(RUNNING);
    first.child.kill("SIGKILL");
    await first.exited;
    await stat(instanceLockPath(dir));
    const next = openOn();
    await next.waitFor(RUNNING);
    expect(await backendOpens()).toEqual([String(first.child.pid), String(next.child.pid)]);
  });

  it("exits 2 on a usage error", async () => {
    const wrong = openOn("--bogus");
    expect(await wrong.exited).toBe(2);
    expect(wrong.output()).toMatch(/Usage: syncline-playlists open/);
  });
});
