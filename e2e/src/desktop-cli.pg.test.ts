import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, userToken } from "./testing/clients.js";
import { spawnDesktopCli } from "./testing/desktop-cli.js";
import { useServerEnvironment } from "./testing/server-environment.js";
import type { ServerProcess } from "./testing/server-process.js";

// The CLI as a real child process, from source, against a real server process.
const environment = useServerEnvironment();
let server: ServerProcess;
let dir: string;

beforeAll(async () => {
  server = await environment.start();
  dir = await mkdtemp(join(tmpdir(), "syncline-playlists-cli-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs `syncline-playlists ...args` to completion. */
const cli = (args: string[], env: Record<string, string>) => spawnDesktopCli(args, env).done;

describe("syncline-playlists", () => {
  it("create then list prints the playlist, synced to the server", async () => {
    const env = {
      SYNCLINE_URL: server.url,
      SYNCLINE_TOKEN: await userToken(environment.env, randomUUID()),
      SYNCLINE_PLAYLISTS_FILE: join(dir, "cli.db"),
    };
    const created = await cli(["create", "Road trip"], env);
    expect(created).toMatchObject({ code: 0, stderr: "" });
    const id = /Road trip {2}([0-9a-f-]{36})/.exec(created.stdout)?.[1];
    expect(id).toBeDefined();
    const added = await cli(["add-track", id!, "Born to Run"], env);
    expect(added).toMatchObject({ code: 0, stderr: "" });

    expect(await cli(["add-track", id!, "Thunder Road"], env)).toMatchObject({ code: 0 });
    const moved = await cli(["move-track", id!, "2", "1"], env);
    expect(moved).toMatchObject({ code: 0, stderr: "" });
    expect(moved.stdout).toBe(`Road trip  ${id}\n  1. Thunder Road\n  2. Born to Run\n`);
    const removed = await cli(["remove-track", id!, "Thunder Road"], env);
    expect(removed).toMatchObject({ code: 0, stderr: "" });

    const listed = await cli(["list"], env);
    expect(listed).toMatchObject({ code: 0, stderr: "" });
    expect(listed.stdout).toBe(`Road trip  ${id}\n  1. Born to Run\n`);
    // Another device of the user (a fresh file) gets it from the server.
    const other = await cli(["list"], { ...env, SYNCLINE_PLAYLISTS_FILE: join(dir, "other.db") });
    expect(other.stdout).toBe(listed.stdout);
  });

  it("watch prints the list when another device edits it, and exits 0 on SIGINT", async () => {
    const env = {
      SYNCLINE_URL: server.url,
      SYNCLINE_TOKEN: await userToken(environment.env, randomUUID()),
    };
    const watching = spawnDesktopCli(["watch"], {
      ...env,
      SYNCLINE_PLAYLISTS_FILE: join(dir, "w.db"),
    });
    try {
      await eventually("the empty list", () => watching.output.stdout.includes("(no playlists)"));
      const created = await cli(["create", "Live"], {
        ...env,
        SYNCLINE_PLAYLISTS_FILE: join(dir, "w2.db"),
      });
      expect(created.code).toBe(0);
      await eventually("the new playlist", () => watching.output.stdout.includes(created.stdout));
      watching.child.kill("SIGINT");
      expect(await watching.done).toMatchObject({ code: 0, stderr: "" });
    } finally {
      watching.child.kill("SIGKILL");
    }
  });

  it("queues an edit when the server is unreachable, and exits 0", async () => {
    const result = await cli(["create", "Later"], {
      SYNCLINE_URL: "http://127.0.0.1:1",
      SYNCLINE_TOKEN: "any",
      SYNCLINE_PLAYLISTS_FILE: join(dir, "offline.db"),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Later {2}[0-9a-f-]{36}\n$/);
    expect(result.stderr).toMatch(/1 edit\(s\) queued: the server is not reachable/);
  });

  it("move-track refuses a position that is not a number (exit 2) or not in the list (exit 1)", async () => {
    const env = {
      SYNCLINE_URL: "http://127.0.0.1:1",
      SYNCLINE_TOKEN: "any",
      SYNCLINE_PLAYLISTS_FILE: join(dir, "move.db"),
    };
    const created = await cli(["create", "Mix"], env);
    const id = /Mix {2}([0-9a-f-]{36})/.exec(created.stdout)?.[1];
    expect(await cli(["move-track", id!, "x", "1"], env)).toMatchObject({ code: 2 });
    const missing = await cli(["move-track", id!, "1", "2"], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/has no track at position 1/);
  });

  it("--help exits 0 with the usage", async () => {
    const result = await cli(["--help"], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: syncline-playlists/);
    expect(result.stdout).toContain("add-track ID TRACK");
  });

  it("a missing token exits 2 and names SYNCLINE_TOKEN", async () => {
    const result = await cli(["list"], { SYNCLINE_PLAYLISTS_FILE: join(dir, "none.db") });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/SYNCLINE_TOKEN is required/);
    expect(result.stdout).toBe("");
  });
});
