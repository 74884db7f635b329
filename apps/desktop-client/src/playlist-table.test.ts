import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteClientStore } from "@syncline/client-sqlite";
import type { JsonValue } from "@syncline/protocol";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPlaylistTable,
  mirrorPlaylist,
  playlistOf,
  readPlaylist,
  readPlaylists,
  rebuildPlaylists,
} from "./playlist-table.js";

let dir: string;
let store: SqliteClientStore;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "syncline-playlist-table-"));
  store = new SqliteClientStore(join(dir, "table.db"));
  createPlaylistTable(store.db);
});
afterAll(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

const byId = <T extends { id: string }>(rows: readonly T[]) =>
  [...rows].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));

describe("playlistOf", () => {
  it("reads the synced fields", () => {
    expect(playlistOf("p", { name: "Mix", tracks: ["a", "b"] })).toEqual({
      id: "p",
      name: "Mix",
      tracks: ["a", "b"],
    });
  });

  it("reads missing or ill-typed fields as an empty name and no tracks", () => {
    expect(playlistOf("p", {})).toEqual({ id: "p", name: "", tracks: [] });
    expect(playlistOf("p", { name: 3, tracks: { a: 1 } })).toEqual({
      id: "p",
      name: "",
      tracks: [],
    });
    expect(playlistOf("p", { tracks: ["a", 1, null, "b"] }).tracks).toEqual(["a", "b"]);
  });
});

describe("the playlist table", () => {
  it("mirrors an entity, and deletes its row when the entity is gone", () => {
    mirrorPlaylist(store.db, "p1", { name: "One", tracks: ["x"] });
    expect(readPlaylist(store.db, "p1")).toEqual({ id: "p1", name: "One", tracks: ["x"] });
    mirrorPlaylist(store.db, "p1", undefined);
    expect(readPlaylist(store.db, "p1")).toBeUndefined();
  });

  it("lists by name", () => {
    rebuildPlaylists(store.db, {
      b: { name: "Beta" },
      a: { name: "Gamma" },
      c: { name: "Alpha" },
    });
    expect(readPlaylists(store.db).map((playlist) => playlist.name)).toEqual([
      "Alpha",
      "Beta",
      "Gamma",
    ]);
  });

  it("after a rebuild holds exactly the entities given, whatever was there (property)", () => {
    const value: fc.Arbitrary<JsonValue> = fc.oneof(
      fc.string(),
      fc.array(fc.oneof(fc.string(), fc.integer())),
      fc.integer(),
      fc.constant(null),
    );
    const entities = fc.dictionary(
      fc.string({ minLength: 1 }),
      fc.record({ name: value, tracks: value }, { requiredKeys: [] }),
    );
    fc.assert(
      fc.property(entities, entities, (before, after) => {
        rebuildPlaylists(store.db, before);
        rebuildPlaylists(store.db, after);
        const expected = Object.entries(after).map(([id, fields]) => playlistOf(id, fields));
        expect(byId(readPlaylists(store.db))).toEqual(byId(expected));
      }),
    );
  });
});
