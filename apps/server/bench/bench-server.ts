/**
 * The bench's one PostgreSQL cluster and one Syncline server on it, with a
 * token minter and a raw `pg` pool for the baselines.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmbeddedPostgres } from "@syncline/embedded-pg";
import { migratePgStore } from "@syncline/pg-store";
import pg from "pg";
import pino from "pino";
import { loadConfig } from "../src/config.js";
import { type SyncServer, startServer } from "../src/server.js";
import { loadSigningKey } from "../src/signing-key.js";

/** What the bench sections run against. */
export interface BenchServer {
  /** The server's base URL. */
  url: string;
  /** The cluster's connection string. */
  databaseUrl: string;
  /** A pool of 20 for raw baselines (the server's own pool is as large). */
  pool: pg.Pool;
  /**
   * A token for a (new, by default) user and device; with `deviceId: null`,
   * one without a device claim (each client then names its own device).
   */
  token(userId?: string, deviceId?: string | null): Promise<string>;
  stop(): Promise<void>;
}

/** A server on a free port, silent, with no nightly compaction: the bench's server. */
export function startQuietServer(databaseUrl: string, dataDir: string): Promise<SyncServer> {
  return startServer(
    loadConfig({
      DATABASE_URL: databaseUrl,
      PORT: "0",
      SYNCLINE_DATA_DIR: dataDir,
      SYNCLINE_COMPACTION_AT: "off",
    }),
    pino({ level: "silent" }),
  );
}

/** Starts the cluster (or uses `DATABASE_URL`), migrates it, and starts a server on it. */
export async function startBenchServer(): Promise<BenchServer> {
  const given = process.env.DATABASE_URL;
  const embedded = given ? undefined : await startEmbeddedPostgres();
  const databaseUrl = given ?? embedded!.url;
  const dataDir = await mkdtemp(join(tmpdir(), "syncline-bench-"));
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 20 });
  // An idle connection cut when the cluster stops at the end is no failure of the bench.
  pool.on("error", () => {});
  await migratePgStore(pool);
  const server = await startQuietServer(databaseUrl, dataDir);
  const key = await loadSigningKey(dataDir);
  return {
    url: server.url,
    databaseUrl,
    pool,
    token: (userId = randomUUID(), deviceId: string | null = randomUUID()) =>
      key.sign({ userId, ...(deviceId ? { deviceId } : {}), ttlSeconds: 24 * 3600 }),
    async stop() {
      await server.stop();
      await pool.end();
      await embedded?.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
