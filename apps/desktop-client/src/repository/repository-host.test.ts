import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPlaylistDevice } from "../store/playlist-device.js";
import { PlaylistRepositoryHost, RepositorySwitchError } from "./repository-host.js";
import { ServerRepository } from "./server-repository.js";

// No server: every URL here is unreachable. Against a real server: e2e/src/desktop-*.pg.test.ts.
const OFFLINE = { url: "http://127.0.0.1:1", token: "t", backoff: { baseMs: 50, maxMs: 100 } };
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "syncline-host-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const fileName = () => join(dir, `${randomUUID()}.db`);

describe("PlaylistRepositoryHost without a server", () => {
  it("opens in Hybrid mode, and keeps the mode chosen across reopening", async () => {
    const file = fileName();
    const host = await PlaylistRepositoryHost.open({ file, ...OFFLINE });
    expect(host.mode).toBe("hybrid");
    const report = await host.switchTo("local");
    expect(report).toEqual({ mode: "local", message: "Sync is off: edits stay on this device." });
    await host.close();
    const reopened = await PlaylistRepositoryHost.open({ file, ...OFFLINE });
    expect(reopened.mode).toBe("local");
    expect(reopened.status.state).toBe("offline");
    await reopened.close();
  });

  it("Hybrid → Local keeps queued edits and says they will sync later", async () => {
    const host = await PlaylistRepositoryHost.open({ file: fileName(), ...OFFLINE });
    const { id } = await host.create("Mix");
    await host.addTrack(id, "a");
    const report = await host.switchTo("local");
    expect(report.message).toMatch(
      /4 edit\(s\) wait on this device; they will sync when sync is back on/,
    );
    expect(host.status).toMatchObject({ mode: "local", pendingCount: 4 });
    expect((await host.get(id))?.entries.map((entry) => entry.track)).toEqual(["a"]);
    await host.close();
  });

  it("refuses → Server-connected when the server is unreachable, staying in the mode it was in", async () => {
    const host = await PlaylistRepositoryHost.open({ file: fileName(), ...OFFLINE });
    await host.switchTo("local");
    await host.create("Mine");
    const progress: number[] = [];
    const refused = await host
      .switchTo("server", { onProgress: ({ pending }) => progress.push(pending) })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RepositorySwitchError);
    expect(refused).toMatchObject({
      mode: "local",
      message: /Cannot connect to the server: 1 edit/,
    });
    expect(progress[0]).toBe(1);
    expect(host.mode).toBe("local");
    expect(host.status).toMatchObject({ mode: "local", state: "offline", pendingCount: 1 });
    // edits still work in the mode it stayed in
    expect((await host.create("More")).name).toBe("More");
    await host.close();
  });

  it("edits follow the model: add at an index, move, remove one entry, delete", async () => {
    const host = await PlaylistRepositoryHost.open({ file: fileName(), ...OFFLINE });
    await host.switchTo("local");
    const { id } = await host.create("Mix");
    await host.addTrack(id, "b");
    await host.addTrack(id, "c");
    const withA = await host.addTrack(id, "a", 0);
    expect(withA.entries.map((entry) => entry.track)).toEqual(["a", "b", "c"]);
    const moved = await host.moveEntry(id, withA.entries[0]!.entryId, 2);
    expect(moved.entries.map((entry) => entry.track)).toEqual(["b", "c", "a"]);
    const removed = await host.removeEntry(id, moved.entries[1]!.entryId);
    expect(removed.entries.map((entry) => entry.track)).toEqual(["b", "a"]);
    await host.remove(id);
    expect(await host.list()).toEqual([]);
    await expect(host.rename(id, "Back")).rejects.toMatchObject({ type: "not_found" });
    await host.close();
  });
});

describe("ServerRepository without a server", () => {
  it("refuses an edit as offline and changes nothing locally", async () => {
    const device = openPlaylistDevice({ file: fileName(), ...OFFLINE });
    const server = new ServerRepository(device, { backoff: OFFLINE.backoff });
    await expect(server.ready(2000)).rejects.toMatchObject({ type: "offline" });
    await expect(server.create("Nope")).rejects.toMatchObject({
      name: "PlaylistEditError",
      type: "offline",
    });
    expect(device.client.status.pendingCount).toBe(0);
    expect(device.store.db.prepare("SELECT count(*) AS n FROM playlists").get()).toEqual({ n: 0 });
    server.close();
    await device.close();
  });
});
