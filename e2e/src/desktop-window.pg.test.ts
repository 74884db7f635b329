import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findFreePort } from "@syncline/embedded-pg";
import { chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BROWSER_TESTS_RUN, CHROMIUM_FLAGS, CHROMIUM_PATH } from "./testing/browser.js";
import { userToken } from "./testing/clients.js";
import { spawnDesktopCli } from "./testing/desktop-cli.js";
import { openWindowBench, type WindowBench } from "./testing/desktop-window.js";
import { useServerEnvironment } from "./testing/server-environment.js";
import type { ServerProcess } from "./testing/server-process.js";

// Two app instances (real child processes, each its own data folder) and a real
// server process, driven through real Chromium windows.
const SCREENSHOT = fileURLToPath(new URL("../../docs/desktop-two-windows.png", import.meta.url));
const environment = useServerEnvironment();
let server: ServerProcess;
let port: number;
let bench: WindowBench;

/** Connects a window to the server as `userId` and turns on Hybrid mode through Settings. */
async function connect(page: Page, userId: string): Promise<void> {
  await page.getByLabel("Server URL").fill(server.url);
  await page.getByLabel("Token").fill(await userToken(environment.env, userId));
  // The mode is switched once the save has answered, so its answer (still Local) cannot
  // redraw the radio back after the click.
  const saved = page.waitForResponse(
    (response) => response.url().endsWith("/api/settings") && response.request().method() === "PUT",
  );
  await page.getByRole("button", { name: "Save" }).click();
  await saved;
  await page.getByRole("radio", { name: /^Hybrid/ }).check();
  await expect.poll(() => page.getByTestId("sync-state").textContent()).toBe("Synced");
}

/** Saves the two windows side by side as the README's screenshot. */
async function saveSideBySide(pages: readonly Page[]): Promise<void> {
  const shots = await Promise.all(pages.map((page) => page.screenshot()));
  const sheet = await bench.context.newPage();
  await sheet.setViewportSize({ width: 2220, height: 720 });
  await sheet.setContent(
    `<body style="margin:0;background:#8a93a6;display:flex;gap:20px;padding:10px">${shots
      .map((png) => `<img src="data:image/png;base64,${png.toString("base64")}">`)
      .join("")}</body>`,
  );
  await sheet.screenshot({ path: SCREENSHOT });
  await sheet.close();
}

async function trackNames(page: Page): Promise<string[]> {
  return page.getByRole("list", { name: "Tracks" }).locator(".track").allTextContents();
}

describe.runIf(BROWSER_TESTS_RUN)("the desktop window", () => {
  beforeAll(async () => {
    port = await findFreePort();
    server = await environment.start({ PORT: String(port) });
    bench = await openWindowBench("syncline-window-");
  }, 120_000);

  afterAll(async () => {
    await bench?.close();
  });

  it("an edit in one window shows in the other within about a second, both ways", async () => {
    const userId = randomUUID();
    const [a, b] = [await bench.open("a"), await bench.open("b")];
    await connect(a.page, userId);
    await connect(b.page, userId);

    await a.page.getByLabel("New playlist").fill("Road trip");
    await a.page.getByRole("button", { name: "Create" }).click();
    const started = Date.now();
    await b.page.getByRole("button", { name: /^Road trip/ }).waitFor({ timeout: 2000 });
    expect(Date.now() - started).toBeLessThan(2000);

    await b.page.getByRole("button", { name: /^Road trip/ }).click();
    await b.page.getByLabel("Add track").fill("Born to Run");
    await b.page.getByRole("button", { name: "Add", exact: true }).click();
    await a.page.getByRole("button", { name: /^Road trip/ }).click();
    await expect.poll(() => trackNames(a.page), { timeout: 2000 }).toEqual(["Born to Run"]);

    // Concurrent adds to the same playlist from both windows: both tracks on both.
    await Promise.all([
      a.page.getByLabel("Add track").fill("Thunder Road"),
      b.page.getByLabel("Add track").fill("Jungleland"),
    ]);
    await Promise.all([
      a.page.getByRole("button", { name: "Add", exact: true }).click(),
      b.page.getByRole("button", { name: "Add", exact: true }).click(),
    ]);
    for (const page of [a.page, b.page]) {
      await expect
        .poll(async () => (await trackNames(page)).sort(), { timeout: 5000 })
        .toEqual(["Born to Run", "Jungleland", "Thunder Road"]);
    }
    // The same order on both, and a keyboard move reaches the other window.
    await expect.poll(() => trackNames(b.page)).toEqual(await trackNames(a.page));
    const order = await trackNames(a.page);
    await a.page.getByRole("button", { name: `Move ${order[2]} up` }).click();
    const moved = [order[0], order[2], order[1]];
    await expect.poll(() => trackNames(a.page)).toEqual(moved);
    await expect.poll(() => trackNames(b.page), { timeout: 2000 }).toEqual(moved);
    // Drag and drop in one window: the last entry dropped on the first takes its place.
    const entries = b.page.getByRole("list", { name: "Tracks" }).locator("li");
    await entries.nth(2).dragTo(entries.nth(0));
    const dragged = [moved[2], moved[0], moved[1]];
    await expect.poll(() => trackNames(b.page)).toEqual(dragged);
    await expect.poll(() => trackNames(a.page), { timeout: 2000 }).toEqual(dragged);
    // Alt+ArrowDown on a focused entry moves it down, and keeps it focused.
    await a.page.getByRole("button", { name: new RegExp(`^${dragged[0]}, position 1`) }).focus();
    await a.page.keyboard.press("Alt+ArrowDown");
    const keyed = [dragged[1], dragged[0], dragged[2]];
    await expect.poll(() => trackNames(a.page)).toEqual(keyed);
    await expect
      .poll(() => a.page.evaluate("document.activeElement?.textContent"))
      .toBe(dragged[0]);
    await expect.poll(() => trackNames(b.page), { timeout: 2000 }).toEqual(keyed);

    await saveSideBySide([a.page, b.page]);
  }, 120_000);

  it("an edit made while the server is down arrives once it is back", async () => {
    const [a, b] = bench.windows;
    await server.kill("SIGKILL");
    await a!.page.getByLabel("Add track").fill("Offline track");
    await a!.page.getByRole("button", { name: "Add", exact: true }).click();
    await expect.poll(() => a!.page.getByTestId("pending").textContent()).not.toBe("0");
    server = await environment.start({ PORT: String(port) });
    await expect.poll(() => trackNames(b!.page), { timeout: 20_000 }).toContain("Offline track");
    await expect.poll(() => a!.page.getByTestId("pending").textContent()).toBe("0");
  }, 60_000);

  it("mode switches lose nothing: Local edits upload on the switch to Hybrid, Server-connected edits reach the other window and are refused while the server is down", async () => {
    const [a, b] = bench.windows;
    const pageA = a!.page;
    // Hybrid → Local: an edit stays on this device and waits.
    await pageA.getByRole("radio", { name: /^Local/ }).check();
    await expect
      .poll(() => pageA.getByTestId("sync-state").textContent())
      .toBe("Sync off (Local mode)");
    await pageA.getByLabel("Add track").fill("Made in Local mode");
    await pageA.getByRole("button", { name: "Add", exact: true }).click();
    await expect.poll(() => pageA.getByTestId("pending").textContent()).not.toBe("0");
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await trackNames(b!.page)).not.toContain("Made in Local mode");
    // Local → Hybrid: uploaded once, shown on the other window.
    await pageA.getByRole("radio", { name: /^Hybrid/ }).check();
    await expect.poll(() => trackNames(b!.page), { timeout: 5000 }).toContain("Made in Local mode");
    expect((await trackNames(b!.page)).filter((t) => t === "Made in Local mode")).toHaveLength(1);
    await expect.poll(() => pageA.getByTestId("pending").textContent()).toBe("0");
    // → Server-connected: an edit goes to the server at once.
    await pageA.getByRole("radio", { name: /^Server-connected/ }).check();
    await expect
      .poll(() => pageA.getByRole("radio", { name: /^Server-connected/ }).isChecked())
      .toBe(true);
    await pageA.getByLabel("Add track").fill("Made on the server");
    await pageA.getByRole("button", { name: "Add", exact: true }).click();
    await expect.poll(() => trackNames(b!.page), { timeout: 5000 }).toContain("Made on the server");
    // Offline in Server-connected mode: refused with a message, nothing half applied.
    await server.kill("SIGKILL");
    await pageA.getByLabel("Add track").fill("Refused while offline");
    await pageA.getByRole("button", { name: "Add", exact: true }).click();
    await expect(pageA.getByRole("alert").textContent()).resolves.toMatch(/./);
    expect(await trackNames(pageA)).not.toContain("Refused while offline");
    server = await environment.start({ PORT: String(port) });
    // Server-connected → Hybrid: the local copy is brought up to date first (the
    // radio turns once the switch is done).
    await pageA.getByRole("radio", { name: /^Hybrid/ }).click();
    await expect
      .poll(() => pageA.getByRole("radio", { name: /^Hybrid/ }).isChecked(), { timeout: 20_000 })
      .toBe(true);
    await expect
      .poll(() => trackNames(pageA), { timeout: 10_000 })
      .toEqual(await trackNames(b!.page));
    expect(await trackNames(pageA)).toContain("Made on the server");
    expect(await trackNames(pageA)).not.toContain("Refused while offline");
  }, 90_000);

  it("opens its own app-mode window, and quits when that window closes", async () => {
    // The app finds its browser through SYNCLINE_BROWSER: here Debian's Chromium,
    // headless, with a DevTools port the test drives the app's own window through.
    const dataDir = join(bench.dir, "own-window");
    const browser = join(bench.dir, "chromium-for-the-app.sh");
    await writeFile(
      browser,
      `#!/bin/sh\nexec ${CHROMIUM_PATH} --headless=new --remote-debugging-port=0 ${CHROMIUM_FLAGS.join(" ")} "$@"\n`,
      { mode: 0o755 },
    );
    const app = spawnDesktopCli(["open", "--data-dir", dataDir], {
      SYNCLINE_PLAYLISTS_UI_DIR: bench.uiDir,
      SYNCLINE_BROWSER: browser,
    });
    const profile = join(dataDir, "browser-profile");
    try {
      const devtools = join(profile, "DevToolsActivePort");
      await expect.poll(() => existsSync(devtools), { timeout: 30_000 }).toBe(true);
      const devtoolsPort = (await readFile(devtools, "utf8")).split("\n")[0];
      const window = await chromium.connectOverCDP(`http://127.0.0.1:${devtoolsPort}`);
      const windowPages = () => window.contexts().flatMap((each) => each.pages());
      await expect
        .poll(() => windowPages().some((p) => p.url().startsWith("http://127.0.0.1:")), {
          timeout: 30_000,
        })
        .toBe(true);
      const page = windowPages().find((p) => p.url().startsWith("http://127.0.0.1:"))!;
      await page.getByRole("heading", { name: "Sync status" }).waitFor({ timeout: 30_000 });
      expect(app.output.stdout).toMatch(/Closing its window or Ctrl-C quits\./);
      await page.close();
      const { code, stdout } = await app.done;
      expect(code).toBe(0);
      expect(stdout).toMatch(/The window closed: quitting\./);
      await window.close();
    } finally {
      app.child.kill("SIGKILL");
      spawnSync("pkill", ["-f", profile]);
    }
  }, 90_000);
});
