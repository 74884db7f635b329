import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createHttpTransport,
  createSyncClient,
  type SyncClient,
  type SyncClientOptions,
} from "@syncline/client";
import { SqliteClientStore } from "@syncline/client-sqlite";
import type Database from "better-sqlite3";
import { runCli } from "./server-process.js";

/** Mints a token for `userId` without a device claim: the client sends its own device id. */
export async function userToken(env: Record<string, string>, userId: string): Promise<string> {
  const minted = await runCli(["token", "--user", userId, "--ttl", "1h"], env);
  if (minted.code !== 0) throw new Error(`token failed: ${minted.stderr}`);
  return minted.stdout.trim();
}

/** A real client on a real SQLite file, talking HTTP + WebSocket to `url`. */
export interface TestClient {
  readonly client: SyncClient<Database.Database>;
  readonly store: SqliteClientStore;
  readonly path: string;
  /** Stops the client and closes the file (it stays on disk). */
  close(): Promise<void>;
}

const dirs: string[] = [];

/** A directory for SQLite files, removed by {@link removeClientFiles}. */
export async function clientDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "syncline-e2e-"));
  dirs.push(dir);
  return dir;
}

export async function removeClientFiles(): Promise<void> {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Opens (or reopens) the SQLite client at `path` and starts it. */
export function openClient(
  path: string,
  url: string,
  token: string,
  options: Partial<SyncClientOptions<Database.Database>> = {},
): TestClient {
  const store = new SqliteClientStore(path);
  const client = createSyncClient({
    store,
    transport: createHttpTransport({ url }),
    token,
    backoff: { baseMs: 50, maxMs: 500 },
    ackDebounceMs: 50,
    ...options,
  });
  client.start();
  return {
    client,
    store,
    path,
    async close() {
      await client.stop();
      store.close();
    },
  };
}

/** Polls until `predicate` holds, or fails after `timeoutMs` with `what`. */
export async function eventually(
  what: string,
  predicate: () => boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
