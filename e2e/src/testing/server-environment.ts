import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase } from "@syncline/testkit";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import {
  type ServerProcess,
  type ServerProcessOptions,
  startServerProcess,
} from "./server-process.js";

/** What {@link useServerEnvironment} gives a test file. */
export interface ServerEnvironment {
  /** Environment of the file's server processes and CLI runs (database, data dir, …). */
  readonly env: Record<string, string>;
  /** A pool on the file's database, to look at the tables. */
  readonly pool: pg.Pool;
  /** Starts a server process on the file's database; killed after the file. */
  start(extra?: Record<string, string>, options?: ServerProcessOptions): Promise<ServerProcess>;
}

/**
 * Gives a `*.pg.test.ts` file its own database and data dir, shared by the
 * server processes it starts; afterwards kills them and removes both.
 */
export function useServerEnvironment(base: Record<string, string> = {}): ServerEnvironment {
  const servers: ServerProcess[] = [];
  let dataDir = "";
  const environment = {
    env: {} as Record<string, string>,
    pool: undefined as unknown as pg.Pool,
    async start(extra: Record<string, string> = {}, options: ServerProcessOptions = {}) {
      const server = await startServerProcess({ ...environment.env, ...extra }, options);
      servers.push(server);
      return server;
    },
  };
  beforeAll(async () => {
    const db = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), "syncline-server-"));
    environment.env = { DATABASE_URL: db.url, SYNCLINE_DATA_DIR: dataDir, ...base };
    environment.pool = new pg.Pool({ connectionString: db.url });
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.kill("SIGKILL")));
    await environment.pool?.end();
    await rm(dataDir, { recursive: true, force: true });
  });
  return environment;
}
