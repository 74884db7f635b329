/**
 * A real Chromium for the window tests: Debian's `/usr/bin/chromium` (or
 * `SYNCLINE_TEST_CHROMIUM`) driven by playwright-core, headless, each
 * context with a fresh user-data-dir. Outside CI a machine without it skips
 * those tests and says so; in CI (`CI=true`) its absence fails them.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

/** Where the browser is, or undefined when this machine has none. */
export const CHROMIUM_PATH = [process.env.SYNCLINE_TEST_CHROMIUM, "/usr/bin/chromium"].find(
  (path): path is string => path !== undefined && existsSync(path),
);

/** Whether the window tests run: a browser is here, or CI requires it (and fails without). */
export const BROWSER_TESTS_RUN = CHROMIUM_PATH !== undefined || process.env.CI === "true";

if (!BROWSER_TESTS_RUN) {
  console.warn("window tests skipped: no Chromium at /usr/bin/chromium (apt-get install chromium)");
}

/** The flags every test browser runs with (headless is added by whoever starts it). */
export const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** A headless browser context with its own fresh user-data-dir; `close()` removes it. */
export async function openBrowserContext(): Promise<BrowserContext> {
  if (!CHROMIUM_PATH)
    throw new Error("no Chromium at /usr/bin/chromium (apt-get install chromium)");
  const profile = await mkdtemp(join(tmpdir(), "syncline-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1100, height: 700 },
  });
  context.on("close", () => {
    rm(profile, { recursive: true, force: true }).catch(() => {});
  });
  return context;
}
