import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BROWSER_TESTS_RUN } from "./testing/browser.js";
import { type DesktopWindow, openWindowBench, type WindowBench } from "./testing/desktop-window.js";
import { useServerEnvironment } from "./testing/server-environment.js";
import type { ServerProcess } from "./testing/server-process.js";
import { type SmtpInbox, signInLink, startSmtpInbox } from "./testing/smtp-inbox.js";

// Desktop app instances (real child processes) signing in through a real Chromium
// with magic links from a real SMTP receiver, against a real server process.
const environment = useServerEnvironment({ SYNCLINE_SIGN_IN_PER_MINUTE: "1000" });
let server: ServerProcess;
let inbox: SmtpInbox;
let bench: WindowBench;

async function playlistNames(page: Page): Promise<string[]> {
  const items = await page.getByRole("navigation").getByRole("listitem").allTextContents();
  return items.map((text) => text.replace(/\d+$/, "").trim()).sort();
}

/**
 * Settings → Sign in: the app hands out the sign-in page (with --no-window it
 * opens no browser itself); the "system browser" is another Chromium page,
 * which asks for the link, follows it from the email and lands on the app's
 * loopback callback.
 */
async function signIn(window: DesktopWindow, email: string): Promise<void> {
  const { page } = window;
  await page.getByLabel("Server", { exact: true }).fill(server.url);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByTestId("account-waiting").waitFor();
  const browserUrl = await page
    .getByRole("link", { name: "open the sign-in page" })
    .getAttribute("href");
  const browser = await bench.context.newPage();
  await browser.goto(browserUrl!);
  await browser.getByLabel("Email").fill(email);
  await browser.getByRole("button", { name: "Email me a sign-in link" }).click();
  await browser.getByRole("heading", { name: "Check your inbox" }).waitFor();
  await browser.goto(signInLink(await inbox.next(email)));
  await browser.getByRole("heading", { name: "Signed in" }).waitFor({ timeout: 15_000 });
  expect(await browser.getByRole("status").textContent()).toContain(email);
  await browser.close();
  await expect
    .poll(() => page.getByTestId("account-email").textContent(), { timeout: 10_000 })
    .toContain(email);
  await expect
    .poll(() => page.getByTestId("sync-state").textContent(), { timeout: 15_000 })
    .toBe("Synced");
}

async function signOut(window: DesktopWindow): Promise<void> {
  await window.page.getByRole("button", { name: "Sign out" }).click();
  await window.page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
}

async function createPlaylist(page: Page, name: string): Promise<void> {
  await page.getByLabel("New playlist").fill(name);
  await page.getByRole("button", { name: "Create" }).click();
  await page.getByRole("button", { name: new RegExp(`^${name}`) }).waitFor();
}

describe.runIf(BROWSER_TESTS_RUN)("desktop accounts", () => {
  beforeAll(async () => {
    inbox = await startSmtpInbox();
    server = await environment.start({ SYNCLINE_SMTP_URL: inbox.url });
    bench = await openWindowBench("syncline-accounts-");
  }, 120_000);

  afterAll(async () => {
    await bench?.close();
    await inbox?.close();
  });

  it("two instances signed into one account see each other's edits; a third, in another account, sees nothing; what was made signed out joins the account at the first sign-in", async () => {
    const [a, b, c] = [await bench.open("a"), await bench.open("b"), await bench.open("c")];
    // Made on A before any sign-in (Local mode).
    await createPlaylist(a.page, "Made signed out");
    await signIn(a, "ann@example.com");
    await signIn(b, "ann@example.com");
    await signIn(c, "bob@example.com");

    await expect
      .poll(() => playlistNames(b.page), { timeout: 10_000 })
      .toEqual(["Made signed out"]);
    await createPlaylist(b.page, "Ann's mix");
    await expect.poll(() => playlistNames(a.page), { timeout: 5000 }).toContain("Ann's mix");
    await createPlaylist(c.page, "Bob's mix");
    await expect
      .poll(() => playlistNames(a.page), { timeout: 5000 })
      .toEqual(["Ann's mix", "Made signed out"]);
    expect(await playlistNames(c.page)).toEqual(["Bob's mix"]);
    expect(await playlistNames(b.page)).toEqual(["Ann's mix", "Made signed out"]);
  }, 180_000);

  it("accounts never mix on one machine: switching accounts shows only that account's playlists, and switching back shows them again; signed out, the data stays", async () => {
    const c = bench.windows[2]!;
    await signOut(c);
    await expect.poll(() => playlistNames(c.page)).toEqual([]);
    await signIn(c, "ann@example.com");
    await expect
      .poll(() => playlistNames(c.page), { timeout: 10_000 })
      .toEqual(["Ann's mix", "Made signed out"]);
    await signOut(c);
    await signIn(c, "bob@example.com");
    await expect.poll(() => playlistNames(c.page), { timeout: 10_000 }).toEqual(["Bob's mix"]);
  }, 120_000);
});
