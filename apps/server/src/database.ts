import { realpath } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type EmbeddedPostgresHandle,
  readPostmasterLock,
  startEmbeddedPostgres,
} from "@syncline/embedded-pg";
import { EMBEDDED_SERVE_LOCK_KEY } from "@syncline/pg-store";
import pg from "pg";
import { ConfigError } from "./config.js";

/** Name of the database the server uses inside its embedded cluster. */
const EMBEDDED_DATABASE = "syncline";
const EMBEDDED_CREDENTIALS = "postgres:postgres";

/**
 * How long to wait for a postmaster of the data dir that runs but does not
 * accept connections yet (starting) or any more (stopping).
 */
const STARTING_POSTMASTER_WAIT_MS = 10_000;

/** A database to use, and how to let go of it. */
export interface Database {
  readonly url: string;
  /** Whether this process started the embedded cluster (and so stops it). */
  readonly startedEmbedded: boolean;
  /** Ends this process's claim on the embedded data dir, and stops the cluster it started. */
  release(): Promise<void>;
}

function embeddedUrl(port: number, database: string): string {
  return `postgres://${EMBEDDED_CREDENTIALS}@127.0.0.1:${port}/${database}`;
}

/**
 * Whether the PostgreSQL answering on `port` is the cluster whose real path is
 * `databaseDirectory`: a crashed postmaster's port may serve another cluster by now.
 */
async function servesDirectory(port: number, databaseDirectory: string): Promise<boolean> {
  const client = new pg.Client({
    connectionString: embeddedUrl(port, "postgres"),
    connectionTimeoutMillis: 2000,
  });
  try {
    await client.connect();
  } catch {
    return false;
  }
  try {
    const { rows } = await client.query<{ data_directory: string }>("SHOW data_directory");
    return (await realpath(rows[0]!.data_directory)) === databaseDirectory;
  } catch {
    return false;
  } finally {
    await client.end();
  }
}

/**
 * The embedded cluster in `clusterParent`: the one running there if any (a
 * `serve` process's), else one this process starts. A postmaster of the data
 * dir that still starts or stops is waited for; a `postmaster.pid` left by a
 * crash does not count as running.
 * @returns its port, and the handle when this process started it
 */
async function embeddedCluster(
  clusterParent: string,
  onLog: ((line: string) => void) | undefined,
): Promise<{ port: number; handle?: EmbeddedPostgresHandle }> {
  const deadline = Date.now() + STARTING_POSTMASTER_WAIT_MS;
  for (;;) {
    const lock = await readPostmasterLock(clusterParent);
    if (lock && (await servesDirectory(lock.port, lock.databaseDirectory))) {
      return { port: lock.port };
    }
    if (lock?.holder !== "postmaster") {
      const handle = await startEmbeddedPostgres({
        dataDir: clusterParent,
        ...(onLog ? { onLog } : {}),
      });
      return { port: handle.port, handle };
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `PostgreSQL (pid ${lock.pid}) runs on ${lock.databaseDirectory} but has not accepted ` +
          `connections on port ${lock.port} for ${STARTING_POSTMASTER_WAIT_MS / 1000} s: ` +
          `wait until it has started or stopped, or stop it (kill -INT ${lock.pid}).`,
      );
    }
    await sleep(100);
  }
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } catch (error) {
    // Another process created it at the same moment.
    if ((error as { code?: string }).code !== "42P04") throw error;
  } finally {
    await client.end();
  }
}

/** `application_name` of a serving process's claim connection, followed by its pid. */
const CLAIM_CONNECTION_NAME = "syncline-server data dir claim, pid ";

/**
 * Takes the serve lock of the embedded cluster at `url` on a connection of its
 * own, held until that connection ends.
 * @throws ConfigError naming `dataDir`, and the holder's pid, when another process holds it
 */
async function claimDataDir(url: string, dataDir: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    application_name: `${CLAIM_CONNECTION_NAME}${process.pid}`,
  });
  // The claim ends with the connection; the server's pool reports a lost database.
  client.on("error", () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>(
      "SELECT pg_try_advisory_lock($1) AS locked",
      [EMBEDDED_SERVE_LOCK_KEY],
    );
    if (rows[0]!.locked) return client;
    // A one-bigint advisory lock shows in pg_locks as classid (high half), objid (low half), objsubid 1.
    const holder = await client.query<{ application_name: string }>(
      `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid`,
      [EMBEDDED_SERVE_LOCK_KEY],
    );
    const name = holder.rows[0]?.application_name ?? "";
    const holderPid = name.startsWith(CLAIM_CONNECTION_NAME)
      ? name.slice(CLAIM_CONNECTION_NAME.length)
      : undefined;
    throw new ConfigError(
      `SYNCLINE_DATA_DIR ${dataDir} is in use: another syncline-server` +
        `${holderPid ? ` (pid ${holderPid})` : ""} serves its embedded ` +
        "PostgreSQL, which stops when that server stops. Run one server per data dir; several " +
        "instances need a shared PostgreSQL (set DATABASE_URL).",
    );
  } catch (error) {
    await client.end();
    throw error;
  }
}

/**
 * The database to use: `databaseUrl` when given; otherwise the embedded
 * PostgreSQL whose data lives in `dataDir/postgres` — the one already running
 * there (a `serve` process), or one this process starts and later stops.
 * @throws ConfigError when `exclusive` and another process serves the embedded data dir
 */
export async function openDatabase(options: {
  databaseUrl: string | undefined;
  dataDir: string;
  /**
   * Whether this process claims the embedded data dir for itself, as `serve`
   * does: it holds the claim until release, and is refused while another
   * process holds it. One-shot commands pass false: they may use a running
   * server's cluster. Ignored with `databaseUrl`.
   * @default true
   */
  exclusive?: boolean;
  onLog?: (line: string) => void;
}): Promise<Database> {
  if (options.databaseUrl) {
    return { url: options.databaseUrl, startedEmbedded: false, release: async () => {} };
  }
  const { port, handle } = await embeddedCluster(join(options.dataDir, "postgres"), options.onLog);
  const url = embeddedUrl(port, EMBEDDED_DATABASE);
  let claim: pg.Client | undefined;
  try {
    await ensureDatabase(embeddedUrl(port, "postgres"), EMBEDDED_DATABASE);
    if (options.exclusive ?? true) claim = await claimDataDir(url, options.dataDir);
  } catch (error) {
    await handle?.stop();
    throw error;
  }
  return {
    url,
    startedEmbedded: handle !== undefined,
    release: async () => {
      await claim?.end();
      await handle?.stop();
    },
  };
}
