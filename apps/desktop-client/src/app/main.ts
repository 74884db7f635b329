/**
 * `syncline-playlists open [--data-dir DIR] [--no-window]`: the desktop
 * app's main process. The CLI wires it with the real backend factory.
 */
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { appDataDir, DATA_DIR_VARIABLE } from "./app-data-dir.js";
import type { AppBackend } from "./backend.js";
import { openAppWindow, openInSystemBrowser } from "./browser-window.js";
import { startDesktopApp } from "./desktop-app.js";
import { acquireInstanceLock, InstanceLockError } from "./instance-lock.js";
import { SECRET_HEADER } from "./request-guard.js";

/** The usage of the `open` command. */
export const OPEN_USAGE = `Usage: syncline-playlists open [--data-dir DIR] [--no-window]

Starts the desktop app and opens its window; the app quits when its window
closes. A second start on the same data folder shows the running app's window
instead.

Options:
  --data-dir DIR  the app data folder (default: ${DATA_DIR_VARIABLE}, else the
                  platform's per-user data folder)
  --no-window     serve the app without opening a window (it runs until Ctrl-C)`;

/** The built UI next to the bundled CLI (`dist/ui`); missing in development, where a placeholder page shows. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL("./ui/", import.meta.url));

/** What {@link runOpenCommand} needs from its surroundings; the defaults are the real process's. */
export interface OpenCommandOptions {
  /** Opens the backend (the SQLite file, the sync engine) in the data folder; called only while holding its lock. */
  readonly createBackend: (dataDir: string) => Promise<AppBackend>;
  /** The built UI; default {@link DEFAULT_UI_DIR}. */
  readonly uiDir?: string;
  /** Resolves when the app should quit; default: on SIGINT or SIGTERM. */
  readonly untilQuit?: () => Promise<void>;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const quit = () => {
      process.off("SIGINT", quit);
      process.off("SIGTERM", quit);
      resolve();
    };
    process.on("SIGINT", quit);
    process.on("SIGTERM", quit);
  });
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const complain = (line: string) => process.stderr.write(`${line}\n`);

/**
 * Runs `open` with `args` (the words after `open`) and returns the exit
 * code: 0 after a clean quit, or at once when the app already runs on this
 * data folder (it is asked to show its window); 1 when it could not start;
 * 2 for a usage error. Only the process holding the data folder's lock
 * creates the backend.
 */
export async function runOpenCommand(
  args: readonly string[],
  options: OpenCommandOptions,
): Promise<number> {
  let values: {
    "data-dir"?: string | undefined;
    "no-window"?: boolean | undefined;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        "data-dir": { type: "string" },
        "no-window": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    complain(`${(error as Error).message}\n${OPEN_USAGE}`);
    return 2;
  }
  if (values.help) {
    say(OPEN_USAGE);
    return 0;
  }
  const dataDir = appDataDir({
    platform: process.platform,
    env: process.env,
    homedir: os.homedir(),
    cwd: process.cwd(),
    dataDirFlag: values["data-dir"],
  });

  let outcome: Awaited<ReturnType<typeof acquireInstanceLock>>;
  try {
    outcome = await acquireInstanceLock(dataDir);
  } catch (error) {
    if (!(error instanceof InstanceLockError)) throw error;
    complain(`error: ${error.message}`);
    return 1;
  }
  if (outcome.kind === "running") {
    const { url, secret } = outcome.instance;
    const focused = await fetch(new URL("/api/focus", url), {
      method: "POST",
      headers: { [SECRET_HEADER]: secret },
    }).then(
      (response) => response.ok,
      () => false,
    );
    if (!focused) {
      complain(
        `error: Syncline Playlists runs at ${url} (data: ${dataDir}) but did not show its window.`,
      );
      return 1;
    }
    say(`Syncline Playlists is already running at ${url} (data: ${dataDir}); showed its window.`);
    return 0;
  }

  const { lock } = outcome;
  const releaseOnExit = () => lock.release();
  process.once("exit", releaseOnExit);
  // The app opens its own window and quits with it, unless --no-window (then only on a signal).
  const windowed = !values["no-window"];
  // Listening before anything is announced: a quit during the start is not lost.
  const signalled = (options.untilQuit ?? untilSignal)();
  let windowClosed = () => {};
  const lastWindowClosed = new Promise<void>((resolve) => {
    windowClosed = resolve;
  });
  const quit = windowed ? Promise.race([signalled, lastWindowClosed]) : signalled;
  try {
    const backend = await options.createBackend(dataDir);
    try {
      const app = await startDesktopApp({
        dataDir,
        backend,
        uiDir: options.uiDir ?? DEFAULT_UI_DIR,
        openWindow: windowed
          ? (launchUrl) =>
              openAppWindow(launchUrl, {
                dataDir,
                onError: (error) =>
                  complain(
                    `could not open a window (${error.message}); open ${launchUrl} in a browser.`,
                  ),
              })
          : () => say("window requested (--no-window: none opened)"),
        openBrowser: windowed
          ? (url) =>
              openInSystemBrowser(url, (error) =>
                complain(`could not open a browser (${error.message}); open ${url} yourself.`),
              )
          : (url) => say(`sign-in page (--no-window: not opened): ${url}`),
        ...(windowed
          ? {
              onLastWindowClosed: () => {
                say("The window closed: quitting.");
                windowClosed();
              },
            }
          : {}),
      });
      lock.publish({ port: app.port, secret: app.secret });
      say(
        `Syncline Playlists is running at ${app.url} (data: ${dataDir}). ${
          windowed ? "Closing its window or Ctrl-C quits." : "Ctrl-C quits."
        }`,
      );
      await quit;
      await app.close();
    } finally {
      await backend.close();
    }
  } finally {
    lock.release();
    process.off("exit", releaseOnExit);
  }
  return 0;
}
