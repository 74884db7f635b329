import type { EntityFields } from "@syncline/client";
import type { SqliteClientStore } from "@syncline/client-sqlite";
import type { JsonValue } from "@syncline/protocol";
import type { EntityChange } from "../model/playlist-changes.js";
import {
  type EntryRecord,
  entryRecordOf,
  PLAYLIST,
  PLAYLIST_ENTRY,
  type PlaylistRecord,
  playlistRecordOf,
} from "../model/playlist-entities.js";
import { playlistViews } from "../model/playlist-views.js";
import type { PlaylistView } from "../repository/playlist-repository.js";

/** The SQLite connection the app's tables live on (the store's own). */
export type Db = SqliteClientStore["db"];

type Fields = Readonly<Record<string, JsonValue>>;

/**
 * Creates the app's mirror tables beside the store's `syncline_*` tables:
 * `playlists (id, name)` and `playlist_entries (entry_id, playlist_id, track,
 * position)`, one row per visible entity (server state plus this device's
 * pending edits). An entry whose playlist has no row is kept but not shown.
 */
export function createMirrorTables(db: Db): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS playlists (id TEXT PRIMARY KEY, name TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS playlist_entries (
      entry_id TEXT PRIMARY KEY,
      playlist_id TEXT NOT NULL,
      track TEXT NOT NULL,
      position TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS playlist_entries_by_playlist ON playlist_entries (playlist_id);
  `);
}

interface EntryRow {
  entry_id: string;
  playlist_id: string;
  track: string;
  position: string;
}

const entryOfRow = (row: EntryRow): EntryRecord => ({
  entryId: row.entry_id,
  playlistId: row.playlist_id,
  track: row.track,
  position: row.position,
});

/** The synced fields a mirror row holds, or undefined when there is no row. */
function fieldsOfRow(db: Db, entityType: string, id: string): Fields | undefined {
  if (entityType === PLAYLIST) {
    return db.prepare("SELECT name FROM playlists WHERE id = ?").get(id) as Fields | undefined;
  }
  const row = db
    .prepare("SELECT playlist_id, track, position FROM playlist_entries WHERE entry_id = ?")
    .get(id) as Omit<EntryRow, "entry_id"> | undefined;
  return row && { playlist: row.playlist_id, track: row.track, position: row.position };
}

/**
 * Makes the row of one entity match its visible fields: written, or deleted
 * when the entity is gone (`undefined`) or, for an entry, cannot be shown.
 * Types other than the app's two are ignored.
 */
export function mirrorEntity(
  db: Db,
  entityType: string,
  id: string,
  fields: Fields | undefined,
): void {
  if (entityType === PLAYLIST) {
    if (fields === undefined) db.prepare("DELETE FROM playlists WHERE id = ?").run(id);
    else {
      db.prepare("INSERT OR REPLACE INTO playlists (id, name) VALUES (?, ?)").run(
        id,
        playlistRecordOf(id, fields).name,
      );
    }
  } else if (entityType === PLAYLIST_ENTRY) {
    const entry = fields && entryRecordOf(id, fields);
    if (entry === undefined) db.prepare("DELETE FROM playlist_entries WHERE entry_id = ?").run(id);
    else {
      db.prepare(
        "INSERT OR REPLACE INTO playlist_entries (entry_id, playlist_id, track, position) VALUES (?, ?, ?, ?)",
      ).run(entry.entryId, entry.playlistId, entry.track, entry.position);
    }
  }
}

/** Applies a local edit's changes to the rows they touch (in the transaction that queues their ops). */
export function mirrorChanges(db: Db, changes: readonly EntityChange[]): void {
  const touched = new Map<string, { entityType: string; id: string; fields: Fields | undefined }>();
  for (const change of changes) {
    const key = JSON.stringify([change.entityType, change.entityId]);
    const current = touched.get(key) ?? {
      entityType: change.entityType,
      id: change.entityId,
      fields: fieldsOfRow(db, change.entityType, change.entityId),
    };
    current.fields =
      change.op === "delete" ? undefined : { ...current.fields, [change.field]: change.value };
    touched.set(key, current);
  }
  for (const { entityType, id, fields } of touched.values())
    mirrorEntity(db, entityType, id, fields);
}

/** Replaces both tables with the given entities (after a reset or a snapshot load). */
export function rebuildMirror(db: Db, playlists: EntityFields, entries: EntityFields): void {
  db.prepare("DELETE FROM playlists").run();
  db.prepare("DELETE FROM playlist_entries").run();
  for (const [id, fields] of Object.entries(playlists)) mirrorEntity(db, PLAYLIST, id, fields);
  for (const [id, fields] of Object.entries(entries)) mirrorEntity(db, PLAYLIST_ENTRY, id, fields);
}

/** Every visible playlist with its entries in order. */
export function readMirror(db: Db): PlaylistView[] {
  const playlists = db.prepare("SELECT id, name FROM playlists").all() as PlaylistRecord[];
  const entries = db.prepare("SELECT * FROM playlist_entries").all() as EntryRow[];
  return playlistViews(playlists, entries.map(entryOfRow));
}

/** One playlist with its entries in order, or undefined. */
export function readMirrorPlaylist(db: Db, id: string): PlaylistView | undefined {
  const playlist = db.prepare("SELECT id, name FROM playlists WHERE id = ?").get(id) as
    | PlaylistRecord
    | undefined;
  if (playlist === undefined) return undefined;
  const entries = db
    .prepare("SELECT * FROM playlist_entries WHERE playlist_id = ?")
    .all(id) as EntryRow[];
  return playlistViews([playlist], entries.map(entryOfRow))[0];
}
