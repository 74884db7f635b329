import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./testing/server-process.js";

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "syncline-cli-"));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

const user = "0192c1a0-7d90-7e4f-a061-3c4d5e6f7081";
const device = "0192c1a0-7d90-7e4f-a061-3c4d5e6f7082";

describe("syncline-server CLI", () => {
  it.each(["serve", "migrate", "compact", "token"])("explains %s with --help", async (command) => {
    const { code, stdout } = await runCli([command, "--help"], {});
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: syncline-server ${command}`);
  });

  it("lists the commands and the environment with --help", async () => {
    const { code, stdout } = await runCli(["--help"], {});
    expect(code).toBe(0);
    for (const word of [
      "serve",
      "migrate",
      "compact",
      "token",
      "DATABASE_URL",
      "SYNCLINE_STALE_DEVICE_AFTER",
    ]) {
      expect(stdout).toContain(word);
    }
  });

  it("refuses an unknown command or option with exit code 2", async () => {
    expect((await runCli(["launch"], {})).code).toBe(2);
    const bad = await runCli(["token", "--colour"], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--colour");
  });

  it("names every bad environment variable, without a stack trace", async () => {
    const { code, stderr } = await runCli(["migrate"], {
      PORT: "eighty",
      SYNCLINE_STALE_DEVICE_AFTER: "soon",
      DATABASE_URL: "mysql://x",
    });
    expect(code).toBe(2);
    expect(stderr).toContain("PORT must be a whole number");
    expect(stderr).toContain("SYNCLINE_STALE_DEVICE_AFTER must be a duration");
    expect(stderr).toContain("DATABASE_URL must be a postgres:// URL");
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it("prints only a JWT signed by the key kept in the data dir", async () => {
    const { code, stdout } = await runCli(
      ["token", "--user", user, "--device", device, "--ttl", "2h"],
      {
        SYNCLINE_DATA_DIR: dataDir,
      },
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const key = JSON.parse(await readFile(join(dataDir, "jwt-signing-key.json"), "utf8"));
    const { payload } = await jwtVerify(
      stdout.trim(),
      createLocalJWKSet({ keys: [key.publicJwk] }),
    );
    expect(payload.sub).toBe(user);
    expect(payload.device_id).toBe(device);
    expect(payload.exp! - payload.iat!).toBe(7200);
  });

  it("refuses a token for a user that is not a UUID", async () => {
    const { code, stderr } = await runCli(["token", "--user", "alice"], {
      SYNCLINE_DATA_DIR: dataDir,
    });
    expect(code).toBe(2);
    expect(stderr).toContain("--user must be a UUID");
  });
});
