import type { SyncClient } from "@syncline/client";
import { legacyEntries } from "../model/legacy-tracks.js";
import { PLAYLIST, PLAYLIST_ENTRY } from "../model/playlist-entities.js";
import { type Db, mirrorEntity } from "./mirror-tables.js";
import { readSetting, writeSetting } from "./settings-table.js";

/** The schema version of the app's tables that has playlist entries as entities. */
export const ENTRIES_SCHEMA_VERSION = "2";

interface LegacyRow {
  id: string;
  name: string | null;
  tracks: string | null;
}

function tracksOf(row: LegacyRow): string[] {
  const parsed: unknown = row.tracks === null ? [] : JSON.parse(row.tracks);
  return Array.isArray(parsed) ? parsed.filter((track) => typeof track === "string") : [];
}

/**
 * Migrates a device file of the app's first model (table `playlist (id,
 * name, tracks)`, tracks as one synced array) in one transaction: each
 * track becomes an entry entity, in order, its ops queued so other devices
 * get them (ids and positions from `legacyEntries`, so two devices
 * migrating the same list write the same entities); the old table is
 * dropped and `schema_version` set. Runs once: with the version set it
 * does nothing. The old `tracks` field stays in the synced state, unread.
 * @returns how many entries it created
 */
export function migrateLegacyPlaylists(client: SyncClient<Db>): number {
  return client.mutate((tx) => {
    if (readSetting(tx.db, "schema_version") === ENTRIES_SCHEMA_VERSION) return 0;
    const legacy = tx.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'playlist'")
      .get();
    let created = 0;
    if (legacy !== undefined) {
      const rows = tx.db.prepare("SELECT id, name, tracks FROM playlist").all() as LegacyRow[];
      for (const row of rows) {
        mirrorEntity(tx.db, PLAYLIST, row.id, { name: row.name ?? "" });
        for (const entry of legacyEntries(row.id, tracksOf(row))) {
          const fields = { playlist: row.id, track: entry.track, position: entry.position };
          for (const [field, value] of Object.entries(fields)) {
            tx.upsert(PLAYLIST_ENTRY, entry.entryId, field, value);
          }
          mirrorEntity(tx.db, PLAYLIST_ENTRY, entry.entryId, fields);
          created += 1;
        }
      }
      tx.db.exec("DROP TABLE playlist");
    }
    writeSetting(tx.db, "schema_version", ENTRIES_SCHEMA_VERSION);
    return created;
  }).result;
}
