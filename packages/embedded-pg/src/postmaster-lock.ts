import { readFile, realpath, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { clusterDirectory } from "./cluster-directory.js";

/**
 * A cluster's `postmaster.pid`: the lock file a postmaster writes on start and
 * removes on a clean stop. A crash (kill -9) leaves it behind.
 */
export interface PostmasterLock {
  /** The postmaster's pid, as the file says. */
  readonly pid: number;
  /** The port that postmaster listens on, as the file says. */
  readonly port: number;
  /**
   * The cluster directory (PostgreSQL's `data_directory`) the file lies in, as
   * a real path (symbolic links resolved).
   */
  readonly databaseDirectory: string;
  /**
   * `"postmaster"`: `pid` is a live postgres process on this cluster directory
   * (serving, or still starting, or stopping). `"stale"`: `pid` is dead, a
   * zombie, or another program (its pid reused): a crash left the file behind.
   */
  readonly holder: "postmaster" | "stale";
}

/** The pid and port in the text of a `postmaster.pid`, or undefined when it is not one. */
export function parsePostmasterPid(text: string): { pid: number; port: number } | undefined {
  // Lines: pid, data directory, start time, port, socket directory, listen address, shmem key, status.
  const [pidLine, , , portLine] = text.split("\n");
  const pid = Number(pidLine);
  const port = Number(portLine);
  return Number.isInteger(pid) && pid > 0 && Number.isInteger(port) && port > 0
    ? { pid, port }
    : undefined;
}

/** The state letter (R, S, D, Z, …) in the text of a Linux `/proc/<pid>/stat`. */
export function processState(stat: string): string {
  // "<pid> (<command, may hold spaces and parentheses>) <state> …"
  return stat.charAt(stat.lastIndexOf(")") + 2);
}

/**
 * The `-D` directory of a postgres server in the text of a Linux
 * `/proc/<pid>/cmdline`, or undefined when that process is no postgres server.
 */
export function postgresDataDirectoryArgument(cmdline: string): string | undefined {
  const argv = cmdline.split("\0");
  if (basename(argv[0] ?? "") !== "postgres") return undefined;
  const flag = argv.indexOf("-D");
  return flag === -1 ? undefined : argv[flag + 1];
}

/**
 * Whether `pid` is a live postgres server on the cluster directory whose real
 * path is `realDirectory`.
 */
async function isPostmasterOf(pid: number, realDirectory: string): Promise<boolean> {
  if (process.platform !== "linux") {
    // No /proc to tell a zombie or a reused pid apart: only a dead pid is known to be stale.
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code !== "ESRCH";
    }
  }
  let stat: string;
  let cmdline: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, "utf8");
    cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return false; // no such process
  }
  if (processState(stat) === "Z") return false;
  const argument = postgresDataDirectoryArgument(cmdline);
  return (
    argument !== undefined && (await realpath(argument).catch(() => undefined)) === realDirectory
  );
}

/** The `postmaster.pid` in `databaseDirectory` (its text, and what it says), if there is one. */
async function readLock(
  databaseDirectory: string,
): Promise<{ text: string; lock: PostmasterLock } | undefined> {
  let text: string;
  try {
    text = await readFile(join(databaseDirectory, "postmaster.pid"), "utf8");
  } catch {
    return undefined;
  }
  const parsed = parsePostmasterPid(text);
  if (!parsed) return undefined;
  const realDirectory = await realpath(databaseDirectory);
  const holder = (await isPostmasterOf(parsed.pid, realDirectory)) ? "postmaster" : "stale";
  return { text, lock: { ...parsed, databaseDirectory: realDirectory, holder } };
}

/**
 * The `postmaster.pid` of the cluster kept in `dataDir` (the directory given
 * to `startEmbeddedPostgres`), judged against the running processes; undefined
 * when there is none. Whether a cluster really runs there is for the caller to
 * check by connecting to `port` and comparing the real path of
 * `SHOW data_directory` with `databaseDirectory`.
 */
export async function readPostmasterLock(dataDir: string): Promise<PostmasterLock | undefined> {
  return (await readLock(clusterDirectory(dataDir)))?.lock;
}

/**
 * Removes a stale `postmaster.pid` from `databaseDirectory` before a start,
 * which PostgreSQL would refuse while the pid in it is alive (a zombie, or a
 * pid reused after a restart). PostgreSQL's shared-memory interlock still
 * refuses a start while processes of the old postmaster remain.
 * @throws when a live postmaster holds the file: the cluster already runs
 */
export async function removeStalePostmasterLock(databaseDirectory: string): Promise<void> {
  const found = await readLock(databaseDirectory);
  if (!found) return;
  if (found.lock.holder === "postmaster") {
    throw new Error(
      `PostgreSQL (pid ${found.lock.pid}) already runs on ${databaseDirectory}, on port ${found.lock.port}.`,
    );
  }
  const file = join(databaseDirectory, "postmaster.pid");
  // Only the file judged stale: a postmaster that started meanwhile wrote a new one.
  if ((await readFile(file, "utf8").catch(() => undefined)) === found.text) {
    await rm(file, { force: true });
  }
}
