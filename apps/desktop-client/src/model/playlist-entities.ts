import type { JsonValue } from "@syncline/protocol";

/** The synced entity type of a playlist; its one field is `name`. */
export const PLAYLIST = "playlist";

/** The synced entity type of one playlist entry; its fields are `playlist`, `track` and `position`. */
export const PLAYLIST_ENTRY = "playlist_entry";

/** A playlist's own fields (its entries are entities of their own). */
export interface PlaylistRecord {
  readonly id: string;
  readonly name: string;
}

/** One entry entity's fields. */
export interface EntryRecord {
  readonly entryId: string;
  /** The id of the playlist it belongs to. */
  readonly playlistId: string;
  readonly track: string;
  /** Its fractional-index key. */
  readonly position: string;
}

/** Synced fields of one entity, as the store or the server holds them. */
type Fields = Readonly<Record<string, JsonValue>>;

/** A playlist from its synced fields; a name another device never set (or set to a non-string) reads as empty. */
export function playlistRecordOf(id: string, fields: Fields): PlaylistRecord {
  return { id, name: typeof fields.name === "string" ? fields.name : "" };
}

/**
 * An entry from its synced fields, or undefined when it names no playlist or
 * has no position (such an entry cannot be shown anywhere); a missing track
 * reads as empty.
 */
export function entryRecordOf(entryId: string, fields: Fields): EntryRecord | undefined {
  const { playlist, track, position } = fields;
  if (typeof playlist !== "string" || typeof position !== "string") return undefined;
  return { entryId, playlistId: playlist, track: typeof track === "string" ? track : "", position };
}
