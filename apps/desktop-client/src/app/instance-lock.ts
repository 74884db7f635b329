/**
 * One app per data folder, so its SQLite file is never opened twice. The
 * lock is `<dataDir>/instance.lock`, created exclusively (`wx`, mode 0600):
 * first `{ pid }` while the app starts, then `{ pid, port, secret }` once it
 * listens, so a second start can reach it. A lock is stale when its process
 * is gone, or when nothing listens at its port (the pid was reused after a
 * crash or reboot) or something else answers there; a stale lock is removed
 * under a short-lived `instance.lock.takeover` lock, after reading it again,
 * so two starts never both remove a fresh lock. A holder that is alive but
 * does not answer is not stale: the start fails and names the lock.
 */
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { type FileHandle, mkdir, open, readFile, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { LOOPBACK } from "./desktop-app.js";
import { SECRET_HEADER } from "./request-guard.js";

/** The app that holds the lock, as the lock file says once it listens. */
export interface RunningInstance {
  readonly pid: number;
  readonly port: number;
  readonly secret: string;
  /** `http://127.0.0.1:PORT/`. */
  readonly url: string;
}

/** The lock, held by this process. */
export interface InstanceLock {
  /** The lock file. */
  readonly path: string;
  /** Writes the address a second start needs into the lock. */
  publish(address: { readonly port: number; readonly secret: string }): void;
  /** Removes the lock if it is still this process's; synchronous, so `process.on("exit")` can call it. */
  release(): void;
}

/** The outcome of {@link acquireInstanceLock}. */
export type InstanceLockOutcome =
  | { readonly kind: "acquired"; readonly lock: InstanceLock }
  | { readonly kind: "running"; readonly instance: RunningInstance };

/** Another process holds the lock but neither answers nor is gone; the message names the lock file. */
export class InstanceLockError extends Error {
  override readonly name = "InstanceLockError";
  /** Discriminant for callers that switch on errors. */
  readonly type = "instance_lock_held";
}

/** How long to wait for a starting holder, and for its answer. */
export interface InstanceLockTimings {
  /** How long a holder may take to publish its address (default 15 s). */
  readonly startupMs?: number;
  /** How long its `GET /api/instance` may take (default 3 s). */
  readonly probeMs?: number;
}

/** The lock file of a data folder. */
export function instanceLockPath(dataDir: string): string {
  return path.join(dataDir, "instance.lock");
}

const POLL_MS = 50;
/** A takeover lock older than this was left by a crash (a takeover takes milliseconds). */
const STALE_TAKEOVER_MS = 10_000;

interface Holder {
  readonly pid: number;
  readonly port?: number;
  readonly secret?: string;
}

function parseHolder(text: string): Holder | undefined {
  try {
    const value = JSON.parse(text) as Partial<Record<keyof Holder, unknown>>;
    if (!Number.isInteger(value.pid)) return undefined;
    const pid = value.pid as number;
    if (Number.isInteger(value.port) && typeof value.secret === "string") {
      return { pid, port: value.port as number, secret: value.secret };
    }
    return { pid };
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function hasCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

async function readOrUndefined(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if (hasCode(error, "ENOENT")) return undefined;
    throw error;
  }
}

/** `answers` (the holder itself), `nobody` (nothing or something else there), `silent` (no answer in time). */
async function probe(
  holder: Required<Holder>,
  timeoutMs: number,
): Promise<"answers" | "nobody" | "silent"> {
  try {
    const response = await fetch(`http://${LOOPBACK}:${holder.port}/api/instance`, {
      headers: { [SECRET_HEADER]: holder.secret },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json().catch(() => undefined)) as { pid?: unknown } | undefined;
    return response.ok && body?.pid === holder.pid ? "answers" : "nobody";
  } catch (error) {
    return (error as Error).name === "TimeoutError" ? "silent" : "nobody";
  }
}

/**
 * Removes the lock if it still reads `judged`, under the takeover lock.
 * Returns false when another start holds the takeover lock (it is removing
 * the same stale lock), after removing a takeover lock left by a crash.
 */
async function removeStale(lockPath: string, judged: string): Promise<boolean> {
  const takeoverPath = `${lockPath}.takeover`;
  let takeover: FileHandle;
  try {
    takeover = await open(takeoverPath, "wx", 0o600);
  } catch (error) {
    if (!hasCode(error, "EEXIST")) throw error;
    const since = await stat(takeoverPath).then(
      (stats) => Date.now() - stats.mtimeMs,
      () => 0,
    );
    if (since > STALE_TAKEOVER_MS) await unlink(takeoverPath).catch(() => {});
    return false;
  }
  try {
    if ((await readOrUndefined(lockPath)) === judged) await unlink(lockPath);
    return true;
  } finally {
    await takeover.close();
    await unlink(takeoverPath);
  }
}

function heldLock(lockPath: string, fd: number): InstanceLock {
  let released = false;
  return {
    path: lockPath,
    publish({ port, secret }) {
      ftruncateSync(fd, 0);
      writeSync(fd, JSON.stringify({ pid: process.pid, port, secret }), 0);
      fsyncSync(fd);
    },
    release() {
      if (released) return;
      released = true;
      closeSync(fd);
      let text: string;
      try {
        text = readFileSync(lockPath, "utf8");
      } catch (error) {
        if (hasCode(error, "ENOENT")) return;
        throw error;
      }
      if (parseHolder(text)?.pid === process.pid) unlinkSync(lockPath);
    },
  };
}

/**
 * Takes the data folder's lock (creating the folder, mode 0700), or finds the
 * app that holds it. Waits for a holder that is still starting.
 * @throws InstanceLockError when a live holder does not publish its address in time or does not answer
 */
export async function acquireInstanceLock(
  dataDir: string,
  timings: InstanceLockTimings = {},
): Promise<InstanceLockOutcome> {
  const { startupMs = 15_000, probeMs = 3_000 } = timings;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const lockPath = instanceLockPath(dataDir);
  const deadline = Date.now() + startupMs;
  for (;;) {
    try {
      const fd = openSync(lockPath, "wx", 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid }), 0);
      return { kind: "acquired", lock: heldLock(lockPath, fd) };
    } catch (error) {
      if (!hasCode(error, "EEXIST")) throw error;
    }
    const text = await readOrUndefined(lockPath);
    if (text === undefined) continue;
    const holder = parseHolder(text);
    if (holder !== undefined && !isAlive(holder.pid)) {
      if (!(await removeStale(lockPath, text))) await sleep(POLL_MS);
      continue;
    }
    if (holder?.port !== undefined && holder.secret !== undefined) {
      const found = { pid: holder.pid, port: holder.port, secret: holder.secret };
      const answer = await probe(found, probeMs);
      if (answer === "answers") {
        return {
          kind: "running",
          instance: { ...found, url: `http://${LOOPBACK}:${found.port}/` },
        };
      }
      if (answer === "nobody") {
        if (!(await removeStale(lockPath, text))) await sleep(POLL_MS);
        continue;
      }
      throw new InstanceLockError(
        `Process ${holder.pid} holds ${lockPath} but does not answer at port ${holder.port}; if it is not Syncline Playlists, delete that file.`,
      );
    }
    if (Date.now() > deadline) {
      const who = holder === undefined ? "Another process" : `Process ${holder.pid}`;
      throw new InstanceLockError(
        `${who} holds ${lockPath} but has not finished starting; if no Syncline Playlists is running, delete that file.`,
      );
    }
    await sleep(POLL_MS);
  }
}
