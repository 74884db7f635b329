/**
 * The desktop app as a user starts it: `syncline-playlists open --no-window`
 * as a real child process on its own data folder, its window a real Chromium
 * page opened at the launch URL (the per-launch secret from the instance
 * lock, as the app's own window gets it).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
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
