import { randomUUID } from "node:crypto";
import {
  addTrackChanges,
  createPlaylistChanges,
  deletePlaylistChanges,
  type EditContext,
  type EntityChange,
  moveEntryChanges,
  removeEntryChanges,
  renameChanges,
} from "../model/playlist-changes.js";
import { mirrorChanges, readMirror, readMirrorPlaylist } from "../store/mirror-tables.js";
import type { PlaylistDevice } from "../store/playlist-device.js";
import type { PlaylistRepository, PlaylistView, RepositoryMode } from "./playlist-repository.js";

/**
 * The repository over the device file, shared by {@link LocalRepository} and
 * `HybridRepository`: reads the mirror tables; each edit plans its changes
 * from the mirror and, in one `client.mutate`, queues their ops and writes
 * the mirror. Whether the queue is ever pushed is the subclass's business.
 */
export abstract class StoreRepository implements PlaylistRepository {
  abstract readonly mode: RepositoryMode;
  protected readonly device: PlaylistDevice;
  readonly #context: EditContext;

  constructor(device: PlaylistDevice) {
    this.device = device;
    this.#context = { suffix: device.suffix, newId: randomUUID };
  }

  async list(): Promise<PlaylistView[]> {
    return readMirror(this.device.store.db);
  }

  async get(id: string): Promise<PlaylistView | undefined> {
    return readMirrorPlaylist(this.device.store.db, id);
  }

  async create(name: string): Promise<PlaylistView> {
    const id = randomUUID();
    return this.#edit(id, () => createPlaylistChanges(id, name))!;
  }

  async rename(id: string, name: string): Promise<PlaylistView> {
    return this.#edit(id, (current) => renameChanges(current, id, name))!;
  }

  async addTrack(id: string, track: string, index?: number): Promise<PlaylistView> {
    return this.#edit(id, (current) => addTrackChanges(current, id, track, index, this.#context))!;
  }

  async removeEntry(id: string, entryId: string): Promise<PlaylistView> {
    return this.#edit(id, (current) => removeEntryChanges(current, id, entryId))!;
  }

  async moveEntry(id: string, entryId: string, index: number): Promise<PlaylistView> {
    return this.#edit(id, (current) =>
      moveEntryChanges(current, id, entryId, index, this.#context),
    )!;
  }

  async remove(id: string): Promise<void> {
    this.#edit(id, (current) => deletePlaylistChanges(current, id));
  }

  onChange(listener: () => void): () => void {
    return this.device.onChange(listener);
  }

  /** Plans and applies one edit in one transaction; returns the playlist after it (undefined once deleted). */
  #edit(
    id: string,
    plan: (current: PlaylistView | undefined) => EntityChange[],
  ): PlaylistView | undefined {
    const { result } = this.device.client.mutate((tx) => {
      const changes = plan(readMirrorPlaylist(tx.db, id));
      for (const change of changes) {
        if (change.op === "upsert") {
          tx.upsert(change.entityType, change.entityId, change.field, change.value);
        } else tx.delete(change.entityType, change.entityId);
      }
      mirrorChanges(tx.db, changes);
      return readMirrorPlaylist(tx.db, id);
    });
    this.device.changed();
    return result;
  }
}
