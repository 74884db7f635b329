import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The server app's directory: child processes run its CLI from source with tsx. */
const APP_DIR = fileURLToPath(new URL("../../../apps/server", import.meta.url));

/** A `syncline-server serve` child process. */
export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Every JSON log line so far. */
  readonly logs: Array<Record<string, unknown>>;
  /** Resolves when a log line matches. */
  waitForLog(
    predicate: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /**
   * Sends a signal (to the whole process group when started with
   * `processGroup`) and waits for the server process to exit.
   */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Options of {@link startServerProcess}. */
export interface ServerProcessOptions {
  /**
   * Run the server as the leader of its own process group, which the embedded
   * PostgreSQL it starts joins: `kill()` then signals both at once, as a
   * container runtime or an OOM kill of the group would.
   */
  processGroup?: boolean;
  /** A module to load before the server (`--import`), e.g. a test's fault injection. */
  preload?: string;
}

/** Server processes still running, with whether each leads its own process group. */
const running = new Map<ChildProcess, boolean>();

/** Signals a server process, or its whole process group; a group already gone is no error. */
function signal(child: ChildProcess, group: boolean, name: NodeJS.Signals): void {
  if (!group) {
    child.kill(name);
    return;
  }
  try {
    process.kill(-(child.pid as number), name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

process.once("exit", () => {
  for (const [child, group] of running) signal(child, group, "SIGKILL");
});

/** Runs the CLI to completion. */
export function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
      cwd: APP_DIR,
      env: { ...process.env, LOG_LEVEL: "warn", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `syncline-server serve` on a free port and waits until it listens. */
export async function startServerProcess(
  env: Record<string, string>,
  options: ServerProcessOptions = {},
): Promise<ServerProcess> {
  const group = options.processGroup ?? false;
  const preload = options.preload ? ["--import", options.preload] : [];
  const child = spawn(process.execPath, ["--import", "tsx", ...preload, "src/cli.ts", "serve"], {
    cwd: APP_DIR,
    env: { ...process.env, PORT: "0", LOG_LEVEL: "info", SYNCLINE_COMPACTION_AT: "off", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: group,
  });
  running.set(child, group);
  const logs: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  let stderr = "";
  let buffered = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line));
      } catch {
        logs.push({ msg: line });
      }
    }
    for (const wake of waiters) wake();
  });
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
      for (const wake of waiters) wake();
    });
  });

  function waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 30_000) {
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = logs.find(predicate);
        if (found) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          waiters.delete(check);
          clearTimeout(timer);
          reject(
            new Error(
              `server exited (code ${child.exitCode}, signal ${child.signalCode}): ${stderr}\n${JSON.stringify(logs.slice(-5))}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching log line; stderr: ${stderr}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  }

  const listening = await waitForLog((line) => line.msg === "listening", 60_000);
  return {
    url: listening.url as string,
    port: listening.port as number,
    child,
    logs,
    waitForLog,
    async kill(name = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) signal(child, group, name);
      return exited;
    },
  };
}
