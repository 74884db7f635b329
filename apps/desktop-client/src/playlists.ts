import { randomUUID } from "node:crypto";
import {
  type BackoffOptions,
  createHttpTransport,
  createSyncClient,
  type SyncStatus,
} from "@syncline/client";
import { SqliteClientStore } from "@syncline/client-sqlite";
import {
  createPlaylistTable,
  deletePlaylist,
  mirrorPlaylist,
  PLAYLIST,
  type Playlist,
  readPlaylist,
  readPlaylists,
  rebuildPlaylists,
  writePlaylist,
} from "./playlist-table.js";

export type { Playlist };

/** Options of {@link openPlaylists}. */
export interface OpenPlaylistsOptions {
  /** The SQLite file of this device (created when missing). */
  readonly file: string;
  /** The Syncline server, e.g. `http://127.0.0.1:8787`. */
  readonly url: string;
  /** A JWT the server accepts (`syncline-server token --user UUID`). */
  readonly token: string;
  /** Backoff of push retries and reconnects. @default { baseMs: 500, maxMs: 30_000 } */
  readonly backoff?: BackoffOptions;
}

/** This device has no playlist with this id. */
export class PlaylistNotFoundError extends Error {
  override readonly name = "PlaylistNotFoundError";
  /** Discriminant for callers that switch on errors. */
  readonly type = "playlist_not_found";
  /** The id asked for. */
  readonly id: string;

  constructor(id: string) {
    super(`no playlist with id ${id}`);
    this.id = id;
  }
}

/** The playlists of one device, kept in its SQLite file and synced. */
export interface Playlists {
  /** Creates a playlist with no tracks. */
  create(name: string): Playlist;
  /** Renames a playlist. @throws PlaylistNotFoundError */
  rename(id: string, name: string): Playlist;
  /** Appends a track. @throws PlaylistNotFoundError */
  addTrack(id: string, track: string): Playlist;
  /** Removes every occurrence of a track (nothing is synced when it is absent). @throws PlaylistNotFoundError */
  removeTrack(id: string, track: string): Playlist;
  /** Deletes a playlist. @throws PlaylistNotFoundError */
  remove(id: string): void;
  /** Every playlist, from the app's own table, by name. */
  list(): Playlist[];
  /** The sync status (`state`, `pendingCount`, `lastError`, …). */
  readonly status: SyncStatus;
  /** Calls `listener` with the list after each change (local or from the server); returns the unsubscribe function. */
  onChange(listener: (playlists: Playlist[]) => void): () => void;
  /** Syncs now, skipping backoff: pulls to the end and pushes the queue; never throws for a server that is down. */
  syncNow(): Promise<void>;
  /** Stops syncing and closes the file; queued edits stay for the next open. */
  close(): Promise<void>;
}

/**
 * Opens the playlists of the device whose SQLite file is `file` and starts
 * syncing them with the server at `url`. Every edit writes the app's
 * `playlist` table and queues its ops in one transaction; ops from the server
 * update the table in the transaction that applies them.
 * @example
 * const playlists = openPlaylists({ file: "playlists.db", url: "http://127.0.0.1:8787", token });
 * const { id } = playlists.create("Road trip");
 * playlists.addTrack(id, "Born to Run");
 * await playlists.syncNow();
 * await playlists.close();
 */
export function openPlaylists(options: OpenPlaylistsOptions): Playlists {
  const store = new SqliteClientStore(options.file);
  createPlaylistTable(store.db);
  const listeners = new Set<(playlists: Playlist[]) => void>();
  let notifying = false;
  /** Tells the listeners once the current transaction has committed. */
  const changed = () => {
    if (notifying) return;
    notifying = true;
    queueMicrotask(() => {
      notifying = false;
      const playlists = readPlaylists(store.db);
      for (const listener of listeners) listener(playlists);
    });
  };
  const client = createSyncClient({
    store,
    transport: createHttpTransport({ url: options.url }),
    token: options.token,
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    onApply(db, batch) {
      if (batch.reset) rebuildPlaylists(db, batch.list(PLAYLIST));
      else {
        for (const op of batch.ops) {
          if (op.entity_type === PLAYLIST)
            mirrorPlaylist(db, op.entity_id, batch.read(PLAYLIST, op.entity_id));
        }
      }
      changed();
    },
  });
  client.start();

  /** Applies `change` to an existing playlist: its row and the ops of the fields it sets, in one transaction. */
  function update(
    id: string,
    change: (current: Playlist) => { name?: string; tracks?: readonly string[] },
  ): Playlist {
    const { result } = client.mutate((tx) => {
      const current = readPlaylist(tx.db, id);
      if (current === undefined) throw new PlaylistNotFoundError(id);
      const { name, tracks } = change(current);
      const next: Playlist = { id, name: name ?? current.name, tracks: tracks ?? current.tracks };
      writePlaylist(tx.db, next);
      if (name !== undefined) tx.upsert(PLAYLIST, id, "name", name);
      if (tracks !== undefined) tx.upsert(PLAYLIST, id, "tracks", [...tracks]);
      return next;
    });
    changed();
    return result;
  }

  return {
    create(name) {
      const playlist: Playlist = { id: randomUUID(), name, tracks: [] };
      client.mutate((tx) => {
        writePlaylist(tx.db, playlist);
        tx.upsert(PLAYLIST, playlist.id, "name", name);
        tx.upsert(PLAYLIST, playlist.id, "tracks", []);
      });
      changed();
      return playlist;
    },
    rename: (id, name) => update(id, () => ({ name })),
    addTrack: (id, track) => update(id, (current) => ({ tracks: [...current.tracks, track] })),
    removeTrack: (id, track) =>
      update(id, (current) =>
        current.tracks.includes(track)
          ? { tracks: current.tracks.filter((each) => each !== track) }
          : {},
      ),
    remove(id) {
      client.mutate((tx) => {
        if (readPlaylist(tx.db, id) === undefined) throw new PlaylistNotFoundError(id);
        deletePlaylist(tx.db, id);
        tx.delete(PLAYLIST, id);
      });
      changed();
    },
    list: () => readPlaylists(store.db),
    get status() {
      return client.status;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    syncNow: () => client.syncNow(),
    async close() {
      listeners.clear();
      await client.stop();
      store.close();
    },
  };
}
