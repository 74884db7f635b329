import type { EntityFields } from "@syncline/client";
import type { PlaylistEntry, PlaylistView } from "../repository/playlist-repository.js";
import {
  type EntryRecord,
  entryRecordOf,
  PLAYLIST,
  PLAYLIST_ENTRY,
  type PlaylistRecord,
  playlistRecordOf,
} from "./playlist-entities.js";

/** Orders by UTF-16 code units (the same on every device, unlike `localeCompare`). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The entry order: by position, ties broken by entry id. Total over distinct entry ids. */
export function compareEntries(a: PlaylistEntry, b: PlaylistEntry): number {
  return compareText(a.position, b.position) || compareText(a.entryId, b.entryId);
}

/**
 * The playlists as the app shows them: by name then id, each with its
 * entries in {@link compareEntries} order. Entries of a playlist not in
 * `playlists` (deleted, or not synced yet) are not shown.
 */
export function playlistViews(
  playlists: Iterable<PlaylistRecord>,
  entries: Iterable<EntryRecord>,
): PlaylistView[] {
  const byPlaylist = new Map<string, PlaylistEntry[]>();
  for (const { id } of playlists) byPlaylist.set(id, []);
  for (const { entryId, playlistId, track, position } of entries) {
    byPlaylist.get(playlistId)?.push({ entryId, track, position });
  }
  return [...playlists]
    .map(({ id, name }) => ({ id, name, entries: byPlaylist.get(id)!.sort(compareEntries) }))
    .sort((a, b) => compareText(a.name, b.name) || compareText(a.id, b.id));
}

/** {@link playlistViews} of a synced state: entity type → entity id → field → value. */
export function playlistViewsOfState(
  state: Readonly<Record<string, EntityFields | undefined>>,
): PlaylistView[] {
  const playlists = Object.entries(state[PLAYLIST] ?? {}).map(([id, fields]) =>
    playlistRecordOf(id, fields),
  );
  const entries = Object.entries(state[PLAYLIST_ENTRY] ?? {}).flatMap(([id, fields]) => {
    const entry = entryRecordOf(id, fields);
    return entry === undefined ? [] : [entry];
  });
  return playlistViews(playlists, entries);
}
