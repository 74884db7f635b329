import type { JsonValue } from "@syncline/protocol";
import { PlaylistEditError, type PlaylistView } from "../repository/playlist-repository.js";
import { PLAYLIST, PLAYLIST_ENTRY } from "./playlist-entities.js";
import { positionBetween } from "./position-key.js";

/** One synced write an edit makes: a field upsert or an entity delete. Every repository applies these. */
export type EntityChange =
  | {
      readonly op: "upsert";
      readonly entityType: string;
      readonly entityId: string;
      readonly field: string;
      readonly value: JsonValue;
    }
  | { readonly op: "delete"; readonly entityType: string; readonly entityId: string };

/** What an edit needs besides the current playlist: this device's key suffix and a new entity id. */
export interface EditContext {
  /** This device's position-key suffix (`deviceSuffix(deviceId)`). */
  readonly suffix: string;
  /** Makes the id of a new entity (a UUID). */
  readonly newId: () => string;
}

const upsert = (entityType: string, entityId: string, field: string, value: JsonValue) =>
  ({ op: "upsert", entityType, entityId, field, value }) as const;

/** The playlist, or a `not_found` error. */
export function existing(playlist: PlaylistView | undefined, id: string): PlaylistView {
  if (playlist === undefined) throw new PlaylistEditError("not_found", `no playlist with id ${id}`);
  return playlist;
}

/** The position between the entries around `index` of `entries` (clamped to 0..length). */
function positionAt(entries: PlaylistView["entries"], index: number, suffix: string): string {
  const at = Math.max(0, Math.min(Math.trunc(index), entries.length));
  return positionBetween(entries[at - 1]?.position ?? null, entries[at]?.position ?? null, suffix);
}

/** A new playlist named `name`. */
export function createPlaylistChanges(id: string, name: string): EntityChange[] {
  return [upsert(PLAYLIST, id, "name", name)];
}

/** Renames the playlist (only its `name` field). @throws PlaylistEditError `not_found` */
export function renameChanges(
  playlist: PlaylistView | undefined,
  id: string,
  name: string,
): EntityChange[] {
  existing(playlist, id);
  return [upsert(PLAYLIST, id, "name", name)];
}

/**
 * A new entry entity for `track` at `index` (default: the end), keyed
 * between its neighbours with this device's suffix, so another device's
 * concurrent insert at the same place is a different entry at a different key.
 * @throws PlaylistEditError `not_found`
 */
export function addTrackChanges(
  playlist: PlaylistView | undefined,
  id: string,
  track: string,
  index: number | undefined,
  context: EditContext,
): EntityChange[] {
  const { entries } = existing(playlist, id);
  const position = positionAt(entries, index ?? entries.length, context.suffix);
  const entryId = context.newId();
  return [
    upsert(PLAYLIST_ENTRY, entryId, "playlist", id),
    upsert(PLAYLIST_ENTRY, entryId, "track", track),
    upsert(PLAYLIST_ENTRY, entryId, "position", position),
  ];
}

/** Deletes one entry entity. @throws PlaylistEditError `not_found` for an unknown playlist or entry */
export function removeEntryChanges(
  playlist: PlaylistView | undefined,
  id: string,
  entryId: string,
): EntityChange[] {
  if (!existing(playlist, id).entries.some((entry) => entry.entryId === entryId)) {
    throw new PlaylistEditError("not_found", `playlist ${id} has no entry ${entryId}`);
  }
  return [{ op: "delete", entityType: PLAYLIST_ENTRY, entityId: entryId }];
}

/**
 * Moves an entry so it ends at `index` of the list without it: only its
 * `position` changes (last writer wins for concurrent moves of one entry).
 * @throws PlaylistEditError `not_found` for an unknown playlist or entry
 */
export function moveEntryChanges(
  playlist: PlaylistView | undefined,
  id: string,
  entryId: string,
  index: number,
  context: EditContext,
): EntityChange[] {
  const { entries } = existing(playlist, id);
  if (!entries.some((entry) => entry.entryId === entryId)) {
    throw new PlaylistEditError("not_found", `playlist ${id} has no entry ${entryId}`);
  }
  const others = entries.filter((entry) => entry.entryId !== entryId);
  return [upsert(PLAYLIST_ENTRY, entryId, "position", positionAt(others, index, context.suffix))];
}

/**
 * Deletes the playlist first, then its entries (the playlist's delete alone
 * already hides them, so applying a prefix of these changes is never half a delete).
 * @throws PlaylistEditError `not_found`
 */
export function deletePlaylistChanges(
  playlist: PlaylistView | undefined,
  id: string,
): EntityChange[] {
  return [
    { op: "delete", entityType: PLAYLIST, entityId: id },
    ...existing(playlist, id).entries.map(
      (entry) => ({ op: "delete", entityType: PLAYLIST_ENTRY, entityId: entry.entryId }) as const,
    ),
  ];
}
