import type { EntityFields } from "@syncline/client";
import type { SqliteClientStore } from "@syncline/client-sqlite";
import type { JsonValue } from "@syncline/protocol";

/** The SQLite connection the app's table lives on (the store's own). */
export type Db = SqliteClientStore["db"];

/** The synced entity type of a playlist. */
export const PLAYLIST = "playlist";

/** One playlist as the app shows it. */
export interface Playlist {
  readonly id: string;
  readonly name: string;
  /** Track names in order; synced as one value (last writer wins for the whole list). */
  readonly tracks: readonly string[];
}

/** Creates the app's own `playlist` table, beside the store's `syncline_*` tables. */
export function createPlaylistTable(db: Db): void {
  db.exec("CREATE TABLE IF NOT EXISTS playlist (id TEXT PRIMARY KEY, name TEXT, tracks TEXT)");
}

/**
 * A playlist from its synced fields. Fields another device never set (or set
 * to a value of the wrong shape) read as an empty name or no tracks.
 */
export function playlistOf(id: string, fields: Readonly<Record<string, JsonValue>>): Playlist {
  const { name, tracks } = fields;
  return {
    id,
    name: typeof name === "string" ? name : "",
    tracks: Array.isArray(tracks)
      ? tracks.filter((track): track is string => typeof track === "string")
      : [],
  };
}

interface PlaylistRow {
  id: string;
  name: string | null;
  tracks: string | null;
}

function fromRow(row: PlaylistRow): Playlist {
  return playlistOf(row.id, {
    name: row.name,
    tracks: row.tracks === null ? null : (JSON.parse(row.tracks) as JsonValue),
  });
}

/** One row of the app's table, or undefined. */
export function readPlaylist(db: Db, id: string): Playlist | undefined {
  const row = db.prepare("SELECT id, name, tracks FROM playlist WHERE id = ?").get(id);
  return row === undefined ? undefined : fromRow(row as PlaylistRow);
}

/** Every row of the app's table, by name then id. */
export function readPlaylists(db: Db): Playlist[] {
  const rows = db.prepare("SELECT id, name, tracks FROM playlist ORDER BY name, id").all();
  return (rows as PlaylistRow[]).map(fromRow);
}

/** Inserts or replaces one row of the app's table. */
export function writePlaylist(db: Db, playlist: Playlist): void {
  db.prepare("INSERT OR REPLACE INTO playlist (id, name, tracks) VALUES (?, ?, ?)").run(
    playlist.id,
    playlist.name,
    JSON.stringify(playlist.tracks),
  );
}

/** Deletes one row of the app's table. */
export function deletePlaylist(db: Db, id: string): void {
  db.prepare("DELETE FROM playlist WHERE id = ?").run(id);
}

/**
 * Makes the row of `id` match what the user sees of the entity: written from
 * its fields, or deleted when the entity is gone (`undefined`).
 */
export function mirrorPlaylist(
  db: Db,
  id: string,
  fields: Readonly<Record<string, JsonValue>> | undefined,
): void {
  if (fields === undefined) deletePlaylist(db, id);
  else writePlaylist(db, playlistOf(id, fields));
}

/** Replaces the whole table with `entities` (after a reset of the synced state). */
export function rebuildPlaylists(db: Db, entities: EntityFields): void {
  db.prepare("DELETE FROM playlist").run();
  for (const [id, fields] of Object.entries(entities)) mirrorPlaylist(db, id, fields);
}
