/**
 * The desktop app as a user starts it: `syncline-playlists open --no-window`
 * as a real child process on its own data folder, its window a real Chromium
 * page opened at the launch URL (the per-launch secret from the instance
 * lock, as the app's own window gets it).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { openBrowserContext } from "./browser.js";
import { DESKTOP_APP_DIR, spawnDesktopCli } from "./desktop-cli.js";

/** Builds the window's UI into `outDir` with the app's Vite config (tests run against source). */
export async function buildWindowUi(outDir: string): Promise<void> {
  const vite = join(DESKTOP_APP_DIR, "node_modules/vite/bin/vite.js");
  const child = spawn(
    process.execPath,
    [vite, "build", "--outDir", outDir, "--logLevel", "error"],
    {
      cwd: DESKTOP_APP_DIR,
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`vite build exited ${code}`);
}

/** One running app: its process, its URL, and a window on it. */
export interface DesktopWindow {
  readonly child: ChildProcess;
  readonly url: string;
  readonly page: Page;
  readonly output: { stdout: string; stderr: string };
  /** Stops the app (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts the app on `dataDir` and opens its window in `context`. */
export async function openDesktopWindow(
  context: BrowserContext,
  dataDir: string,
  uiDir: string,
): Promise<DesktopWindow> {
  const { child, output, done } = spawnDesktopCli(["open", "--no-window", "--data-dir", dataDir], {
    SYNCLINE_PLAYLISTS_UI_DIR: uiDir,
  });
  const deadline = Date.now() + 30_000;
  while (!/running at (http:\/\/127\.0\.0\.1:\d+\/)/.test(output.stdout)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new Error(`the app did not start: ${output.stdout}${output.stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const url = /running at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output.stdout)![1]!;
  const lock = JSON.parse(await readFile(join(dataDir, "instance.lock"), "utf8")) as {
    secret: string;
  };
  const page = await context.newPage();
  await page.goto(`${url}?secret=${lock.secret}`);
  return {
    child,
    url,
    page,
    output,
    async stop() {
      await page.close().catch(() => {});
      if (child.exitCode === null) child.kill("SIGTERM");
      await done;
    },
  };
}

/** What the window tests of one file share: a scratch folder with the UI built into it, one browser, and the apps opened. */
export interface WindowBench {
  /** The scratch folder (apps' data folders go inside). */
  readonly dir: string;
  /** The built UI the apps serve. */
  readonly uiDir: string;
  readonly context: BrowserContext;
  /** The apps opened through {@link WindowBench.open}, in order. */
  readonly windows: DesktopWindow[];
  /** Starts an app on `<dir>/<name>` and opens its window. */
  open(name: string): Promise<DesktopWindow>;
  /** Stops every app, closes the browser and removes the folder. */
  close(): Promise<void>;
}

/** Makes a scratch folder (`prefix`…), builds the UI into it and opens a browser. */
export async function openWindowBench(prefix: string): Promise<WindowBench> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const uiDir = join(dir, "ui");
  await buildWindowUi(uiDir);
  const context = await openBrowserContext();
  const windows: DesktopWindow[] = [];
  return {
    dir,
    uiDir,
    context,
    windows,
    async open(name) {
      const window = await openDesktopWindow(context, join(dir, name), uiDir);
      windows.push(window);
      return window;
    },
    async close() {
      for (const window of windows) await window.stop();
      await context.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
