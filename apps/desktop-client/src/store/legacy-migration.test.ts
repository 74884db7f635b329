import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHttpTransport, createSyncClient } from "@syncline/client";
import { SqliteClientStore } from "@syncline/client-sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMirror } from "./mirror-tables.js";
import { openPlaylistDevice } from "./playlist-device.js";
import { readSetting } from "./settings-table.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "syncline-legacy-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const OFFLINE = { url: "http://127.0.0.1:1", token: "t" };

/** A device file as the first version of the app left it: table `playlist`, tracks as one synced array. */
function legacyFile(playlists: { id: string; name: string; tracks: string[] }[]): string {
  const file = join(dir, `${randomUUID()}.db`);
  const store = new SqliteClientStore(file);
  const client = createSyncClient({ store, transport: createHttpTransport(OFFLINE) });
  client.mutate((tx) => {
    tx.db.exec("CREATE TABLE playlist (id TEXT PRIMARY KEY, name TEXT, tracks TEXT)");
    for (const { id, name, tracks } of playlists) {
      tx.db
        .prepare("INSERT INTO playlist (id, name, tracks) VALUES (?, ?, ?)")
        .run(id, name, JSON.stringify(tracks));
      tx.upsert("playlist", id, "name", name);
      tx.upsert("playlist", id, "tracks", tracks);
    }
  });
  store.close();
  return file;
}

describe("the migration of a legacy device file", () => {
  it("turns every track into an entry in order, queued, once", async () => {
    const file = legacyFile([
      { id: "p1", name: "Road trip", tracks: ["Born to Run", "Thunder Road", "Born to Run"] },
      { id: "p2", name: "Empty", tracks: [] },
    ]);
    const device = openPlaylistDevice({ file, ...OFFLINE });
    expect(device.migratedEntries).toBe(3);
    const views = readMirror(device.store.db);
    expect(views.map((view) => [view.name, view.entries.map((entry) => entry.track)])).toEqual([
      ["Empty", []],
      ["Road trip", ["Born to Run", "Thunder Road", "Born to Run"]],
    ]);
    // 4 legacy ops plus 3 fields of 3 entries, waiting to be pushed
    expect(device.client.status.pendingCount).toBe(4 + 9);
    expect(Object.keys(device.client.list("playlist_entry"))).toHaveLength(3);
    expect(readSetting(device.store.db, "schema_version")).toBe("2");
    await device.close();

    const again = openPlaylistDevice({ file, ...OFFLINE });
    expect(again.migratedEntries).toBe(0);
    expect(again.client.status.pendingCount).toBe(13);
    expect(readMirror(again.store.db)).toEqual(views);
    await again.close();
  });

  it("makes the same entries on two devices migrating the same list", async () => {
    const legacy = [{ id: "p", name: "Mix", tracks: ["a", "b"] }];
    const [a, b] = [legacyFile(legacy), legacyFile(legacy)].map((file) =>
      openPlaylistDevice({ file, ...OFFLINE }),
    );
    expect(a!.client.list("playlist_entry")).toEqual(b!.client.list("playlist_entry"));
    await a!.close();
    await b!.close();
  });

  it("marks a fresh file as migrated without creating anything", async () => {
    const device = openPlaylistDevice({ file: join(dir, "fresh.db"), ...OFFLINE });
    expect(device.migratedEntries).toBe(0);
    expect(device.client.status.pendingCount).toBe(0);
    expect(readSetting(device.store.db, "schema_version")).toBe("2");
    await device.close();
  });
});
