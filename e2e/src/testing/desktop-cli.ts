import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The desktop app's directory: its CLI runs from source with tsx. */
export const DESKTOP_APP_DIR = fileURLToPath(
  new URL("../../../apps/desktop-client", import.meta.url),
);

/**
 * Starts `syncline-playlists ...args` from source as a real child process;
 * `env` replaces this process's SYNCLINE_* variables.
 * @returns the child, its output so far, and its end (exit code and output)
 */
export function spawnDesktopCli(args: readonly string[], env: Record<string, string>) {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("SYNCLINE_")),
  );
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
    cwd: DESKTOP_APP_DIR,
    env: { ...inherited, ...env },
  });
  const output = { stdout: "", stderr: "" };
  child.stdout.on("data", (chunk) => (output.stdout += chunk));
  child.stderr.on("data", (chunk) => (output.stderr += chunk));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, ...output }));
    },
  );
  return { child, output, done };
}
