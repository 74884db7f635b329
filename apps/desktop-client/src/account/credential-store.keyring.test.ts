import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The real Secret Service: Debian's gnome-keyring in a private D-Bus session, unlocked
// with a password on stdin, as a desktop login would. Outside CI a machine without it
// skips (and says so); in CI it must run.
const TOOLS = ["/usr/bin/dbus-run-session", "/usr/bin/gnome-keyring-daemon"];
const present = TOOLS.every((tool) => existsSync(tool));
const runs = present || process.env.CI === "true";
if (!runs) console.warn("keyring test skipped: apt-get install dbus gnome-keyring");

const APP_DIR = fileURLToPath(new URL("../..", import.meta.url));

describe.runIf(runs)("the credential store on a real Secret Service", () => {
  it("keeps the credential in the keyring (not in a file), per data folder, and removes it", async () => {
    const script = [
      "printf syncline-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null",
      `exec "${process.execPath}" --import tsx src/account/testing/keyring-child.ts`,
    ].join(" && ");
    // A fresh home: gnome-keyring makes its login keyring there with this password.
    const home = await mkdtemp(join(tmpdir(), "keyring-home-"));
    const child = spawn("dbus-run-session", ["--", "sh", "-c", script], {
      cwd: APP_DIR,
      env: { ...process.env, HOME: home, XDG_DATA_HOME: join(home, ".local/share") },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    await rm(home, { recursive: true, force: true });
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(result).toEqual({
      kind: "keyring",
      problem: null,
      roundTrip: true,
      otherInstanceSees: false,
      namedShared: true,
      tokenInFiles: false,
      afterRemove: null,
    });
  }, 30_000);
});
