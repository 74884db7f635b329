import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from "@syncline/embedded-pg";
import pg from "pg";

/** Name of the database the server uses inside its embedded cluster. */
const EMBEDDED_DATABASE = "syncline";
const EMBEDDED_CREDENTIALS = "postgres:postgres";

/** A database to use, and how to let go of it. */
export interface Database {
  readonly url: string;
  /** Whether this process started the embedded cluster (and so stops it). */
  readonly startedEmbedded: boolean;
  release(): Promise<void>;
}

/**
 * The port of an embedded cluster already running on `dataDir`, read from
 * PostgreSQL's own `postmaster.pid`, or `undefined` when none runs.
 */
async function runningClusterPort(clusterDir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(join(clusterDir, "postmaster.pid"), "utf8");
  } catch {
    return undefined;
  }
  const [pidLine, , , portLine] = text.split("\n");
  const pid = Number(pidLine);
  const port = Number(portLine);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0);
    return port;
  } catch {
    return undefined; // stale pid file after a crash: the cluster is down
  }
}

function embeddedUrl(port: number, database: string): string {
  return `postgres://${EMBEDDED_CREDENTIALS}@127.0.0.1:${port}/${database}`;
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

/**
 * The database to use: `databaseUrl` when given; otherwise the embedded
 * PostgreSQL whose data lives in `dataDir/postgres` — the one already running
 * there (a `serve` process), or one this process starts and later stops.
 */
export async function openDatabase(options: {
  databaseUrl: string | undefined;
  dataDir: string;
  onLog?: (line: string) => void;
}): Promise<Database> {
  if (options.databaseUrl) {
    return { url: options.databaseUrl, startedEmbedded: false, release: async () => {} };
  }
  const clusterParent = join(options.dataDir, "postgres");
  const running = await runningClusterPort(join(clusterParent, "pgdata"));
  let handle: EmbeddedPostgresHandle | undefined;
  let port = running;
  if (port === undefined) {
    handle = await startEmbeddedPostgres({
      dataDir: clusterParent,
      ...(options.onLog ? { onLog: options.onLog } : {}),
    });
    port = handle.port;
  }
  await ensureDatabase(embeddedUrl(port, "postgres"), EMBEDDED_DATABASE);
  return {
    url: embeddedUrl(port, EMBEDDED_DATABASE),
    startedEmbedded: handle !== undefined,
    release: async () => {
      await handle?.stop();
    },
  };
}
