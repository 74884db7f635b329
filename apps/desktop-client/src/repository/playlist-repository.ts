/**
 * The one interface the UI and the CLI use for playlists. Which
 * implementation runs (Local, Hybrid, Server-connected) is decided at runtime
 * by the mode in Settings; callers never know.
 */

/** One entry of a playlist: a track at a position. The same track may appear twice. */
export interface PlaylistEntry {
  /** The entry's own id (its synced entity id); stable across moves. */
  readonly entryId: string;
  /** The track's name. */
  readonly track: string;
  /** Its fractional-index key; entries sort by it (ties broken by `entryId`). */
  readonly position: string;
}

/** One playlist as the app shows it: its name and its entries in order. */
export interface PlaylistView {
  readonly id: string;
  readonly name: string;
  readonly entries: readonly PlaylistEntry[];
}

/** The app's three modes (Settings → "Server mode"). */
export type RepositoryMode = "local" | "hybrid" | "server";

/** An edit the repository could not make; `message` is for the user. */
export class PlaylistEditError extends Error {
  override readonly name = "PlaylistEditError";
  /** `not_found` (no such playlist or entry), `offline` (Server-connected without a server), `refused` (the server said no). */
  readonly type: "not_found" | "offline" | "refused";

  constructor(type: PlaylistEditError["type"], message: string) {
    super(message);
    this.type = type;
  }
}

/**
 * Playlists, whatever the mode. Every edit is all or nothing: it either
 * happened (locally, or on the server in Server-connected mode) or throws a
 * {@link PlaylistEditError} and changed nothing.
 */
export interface PlaylistRepository {
  /** Which mode this repository implements. */
  readonly mode: RepositoryMode;
  /** Every visible playlist, by name then id, with its entries in order. */
  list(): Promise<PlaylistView[]>;
  /** One playlist, or undefined. */
  get(id: string): Promise<PlaylistView | undefined>;
  /** Creates a playlist with no entries. */
  create(name: string): Promise<PlaylistView>;
  /** Renames a playlist (per-field last-writer-wins). */
  rename(id: string, name: string): Promise<PlaylistView>;
  /** Adds a track at `index` (0 = first; default: at the end). */
  addTrack(id: string, track: string, index?: number): Promise<PlaylistView>;
  /** Removes one entry. */
  removeEntry(id: string, entryId: string): Promise<PlaylistView>;
  /** Moves one entry so it ends at `index` of the list without it. */
  moveEntry(id: string, entryId: string, index: number): Promise<PlaylistView>;
  /** Deletes a playlist and hides its entries. */
  remove(id: string): Promise<void>;
  /** Calls `listener` after every change, local or from elsewhere; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}
