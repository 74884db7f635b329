import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

/** The environment variable naming a Chromium-based browser to use for the window. */
export const BROWSER_VARIABLE = "SYNCLINE_BROWSER";

/** Where {@link findChromium} looks; passed in, so the search is pure. */
export interface BrowserSearch {
  /** `process.platform`. */
  readonly platform: NodeJS.Platform;
  /** The environment: {@link BROWSER_VARIABLE}, `PATH`, `HOME`, and on Windows `LOCALAPPDATA`, `ProgramFiles`, `ProgramFiles(x86)`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether a file exists. */
  readonly exists: (file: string) => boolean;
}

/** A program to start and its arguments. */
export interface WindowCommand {
  readonly command: string;
  readonly args: readonly string[];
}

const UNIX_NAMES = [
  "chromium",
  "chromium-browser",
  "google-chrome",
  "google-chrome-stable",
  "microsoft-edge",
];
const UNIX_DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin:/snap/bin";
const MAC_APPS = [
  "Google Chrome.app/Contents/MacOS/Google Chrome",
  "Chromium.app/Contents/MacOS/Chromium",
  "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
];
const WINDOWS_APPS = [
  "Google\\Chrome\\Application\\chrome.exe",
  "Chromium\\Application\\chrome.exe",
  "Microsoft\\Edge\\Application\\msedge.exe",
];

function candidates({ platform, env }: BrowserSearch): string[] {
  switch (platform) {
    case "darwin": {
      const roots = [
        "/Applications",
        ...(env.HOME ? [path.posix.join(env.HOME, "Applications")] : []),
      ];
      return roots.flatMap((root) => MAC_APPS.map((app) => path.posix.join(root, app)));
    }
    case "win32": {
      const roots = [env.LOCALAPPDATA, env.ProgramFiles, env["ProgramFiles(x86)"]].filter(
        (root): root is string => Boolean(root),
      );
      return WINDOWS_APPS.flatMap((app) => roots.map((root) => path.win32.join(root, app)));
    }
    default: {
      const dirs = (env.PATH || UNIX_DEFAULT_PATH).split(":").filter((dir) => dir !== "");
      return UNIX_NAMES.flatMap((name) => dirs.map((dir) => path.posix.join(dir, name)));
    }
  }
}

/**
 * The Chromium-based browser to open the app window with: `SYNCLINE_BROWSER`
 * when set (taken as is), else the first that exists of Chromium, Chrome and
 * Edge — on Linux by name in `PATH` (`chromium`, `chromium-browser`,
 * `google-chrome`, …), on macOS in `/Applications` and `~/Applications`, on
 * Windows under `%LOCALAPPDATA%`, `%ProgramFiles%` and `%ProgramFiles(x86)%`.
 * Undefined when there is none.
 */
export function findChromium(search: BrowserSearch): string | undefined {
  const chosen = search.env[BROWSER_VARIABLE];
  if (chosen) return chosen;
  return candidates(search).find((file) => search.exists(file));
}

/**
 * The command that opens `url` in a window: with a Chromium-based `browser`,
 * an app-mode window (no tabs, no address bar) on its own profile in
 * `profileDir`; without one, the system's default browser (`xdg-open`,
 * `open`, `start`).
 */
export function windowCommand(options: {
  readonly url: string;
  readonly browser: string | undefined;
  readonly profileDir: string;
  readonly platform: NodeJS.Platform;
}): WindowCommand {
  const { url, browser, profileDir, platform } = options;
  if (browser !== undefined) {
    return {
      command: browser,
      args: [
        `--app=${url}`,
        `--user-data-dir=${profileDir}`,
        "--no-first-run",
        "--no-default-browser-check",
      ],
    };
  }
  if (platform === "darwin") return { command: "open", args: [url] };
  // `start`'s first quoted argument is the window title, hence the empty one.
  if (platform === "win32") return { command: "cmd", args: ["/c", "start", "", url] };
  return { command: "xdg-open", args: [url] };
}

/** The window's browser profile: a folder of its own inside the app data folder. */
export function browserProfileDir(dataDir: string): string {
  return path.join(dataDir, "browser-profile");
}

/**
 * Opens `url` in a desktop window (see {@link findChromium} and
 * {@link windowCommand}); the browser runs detached, and a failure to start
 * it is reported to `onError`.
 */
export function openAppWindow(
  url: string,
  options: { readonly dataDir: string; readonly onError: (error: Error) => void },
): void {
  spawnDetached(
    windowCommand({
      url,
      browser: findChromium({ platform: process.platform, env: process.env, exists: existsSync }),
      profileDir: browserProfileDir(options.dataDir),
      platform: process.platform,
    }),
    options.onError,
  );
}

/**
 * Opens `url` in the user's own default browser (`xdg-open`, `open`,
 * `start`), as RFC 8252 has native apps sign in: where the user's mail and
 * saved logins are, not in the app's window.
 */
export function openInSystemBrowser(url: string, onError: (error: Error) => void): void {
  spawnDetached(
    windowCommand({ url, browser: undefined, profileDir: "", platform: process.platform }),
    onError,
  );
}

function spawnDetached({ command, args }: WindowCommand, onError: (error: Error) => void): void {
  const child = spawn(command, args, { detached: true, stdio: "ignore", windowsHide: true });
  child.once("error", onError);
  child.unref();
}
