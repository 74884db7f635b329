import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteClientStore } from "@syncline/client-sqlite";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { playlistViewsOfState } from "../model/playlist-views.js";
import {
  createMirrorTables,
  mirrorChanges,
  readMirror,
  readMirrorPlaylist,
  rebuildMirror,
} from "./mirror-tables.js";

let dir: string;
let store: SqliteClientStore;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "syncline-mirror-"));
  store = new SqliteClientStore(join(dir, "mirror.db"));
  createMirrorTables(store.db);
});
afterAll(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

const value = fc.oneof(fc.constantFrom("p", "q", "a0", "a1", "x"), fc.integer(), fc.constant(null));
const state = fc.record({
  playlist: fc.dictionary(
    fc.constantFrom("p", "q", "r"),
    fc.record({ name: value }, { requiredKeys: [] }),
  ),
  playlist_entry: fc.dictionary(
    fc.uuid(),
    fc.record({ playlist: value, track: value, position: value }, { requiredKeys: [] }),
  ),
});

describe("the mirror tables", () => {
  it("after a rebuild show exactly what the synced state shows, whatever was there (property)", () => {
    fc.assert(
      fc.property(state, state, (before, after) => {
        rebuildMirror(store.db, before.playlist, before.playlist_entry);
        rebuildMirror(store.db, after.playlist, after.playlist_entry);
        expect(readMirror(store.db)).toEqual(playlistViewsOfState(after));
      }),
    );
  });

  it("apply a local edit's changes field by field, and deletes", () => {
    rebuildMirror(store.db, {}, {});
    mirrorChanges(store.db, [
      { op: "upsert", entityType: "playlist", entityId: "p", field: "name", value: "Mix" },
      { op: "upsert", entityType: "playlist_entry", entityId: "e", field: "playlist", value: "p" },
      { op: "upsert", entityType: "playlist_entry", entityId: "e", field: "track", value: "x" },
      { op: "upsert", entityType: "playlist_entry", entityId: "e", field: "position", value: "a0" },
    ]);
    mirrorChanges(store.db, [
      { op: "upsert", entityType: "playlist_entry", entityId: "e", field: "position", value: "a5" },
    ]);
    expect(readMirrorPlaylist(store.db, "p")).toEqual({
      id: "p",
      name: "Mix",
      entries: [{ entryId: "e", track: "x", position: "a5" }],
    });
    mirrorChanges(store.db, [{ op: "delete", entityType: "playlist", entityId: "p" }]);
    expect(readMirror(store.db)).toEqual([]);
    expect(readMirrorPlaylist(store.db, "p")).toBeUndefined();
  });
});
