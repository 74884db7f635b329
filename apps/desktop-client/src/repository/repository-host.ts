import type { CatchUpProgress, SyncClientState } from "@syncline/client";
import {
  type OpenPlaylistDeviceOptions,
  openPlaylistDevice,
  type PlaylistDevice,
} from "../store/playlist-device.js";
import { readSetting, writeSetting } from "../store/settings-table.js";
import { HybridRepository } from "./hybrid-repository.js";
import { LocalRepository } from "./local-repository.js";
import type { PlaylistRepository, PlaylistView, RepositoryMode } from "./playlist-repository.js";
import { ServerRepository, type ServerRepositoryOptions } from "./server-repository.js";

/** The mode of a device file that never chose one: Hybrid (synced, works offline). */
export const DEFAULT_MODE: RepositoryMode = "hybrid";

const MODES: readonly RepositoryMode[] = ["local", "hybrid", "server"];

/** Options of {@link openRepositoryHost}. */
export interface RepositoryHostOptions extends OpenPlaylistDeviceOptions, ServerRepositoryOptions {
  /** How long the switch to Server-connected waits for the server. @default 10_000 */
  readonly serverTimeoutMs?: number;
}

/** An edit the server refused, for the status panel. */
export interface RefusedEdit {
  /** Pass to {@link PlaylistRepositoryHost.dismissRefused}. */
  readonly operationId: string;
  readonly entityType: string;
  readonly entityId: string;
  /** The server's reason, in words. */
  readonly reason: string;
}

/** What the status panel shows. */
export interface RepositorySyncStatus {
  readonly mode: RepositoryMode;
  /** Local mode is always `offline` (sync is off); Server-connected maps the live view's status. */
  readonly state: SyncClientState;
  /** Edits waiting to be uploaded (kept while sync is off). */
  readonly pendingCount: number;
  /** When (ms since the epoch) the device last completed an exchange with the server, or null. */
  readonly lastSyncedAt: number | null;
  /** The most recent failure in words, or null. */
  readonly lastError: string | null;
  readonly refused: readonly RefusedEdit[];
  /** How far a catch-up of more than one page got (Hybrid: the device's; Server-connected: the view's), or null. */
  readonly catchUp: CatchUpProgress | null;
}

/** Progress of the drain before Server-connected mode. */
export interface DrainProgress {
  /** Edits still waiting. */
  readonly pending: number;
  /** Edits waiting when the drain began. */
  readonly total: number;
}

/** Options of {@link PlaylistRepositoryHost.switchTo}. */
export interface SwitchOptions {
  /** Called as pending edits are uploaded before Server-connected mode. */
  readonly onProgress?: (progress: DrainProgress) => void;
}

/** The outcome of a switch: the mode now in use and what the user should be told. */
export interface SwitchReport {
  readonly mode: RepositoryMode;
  readonly message: string;
}

/** A switch that could not be made; the previous mode is still in use. */
export class RepositorySwitchError extends Error {
  override readonly name = "RepositorySwitchError";
  /** The mode still in use. */
  readonly mode: RepositoryMode;

  constructor(mode: RepositoryMode, message: string) {
    super(message);
    this.mode = mode;
  }
}

const STATE_OF_VIEW = {
  loading: "syncing",
  live: "synced",
  offline: "offline",
  error: "error",
} as const satisfies Record<ServerRepository["watch"]["status"], SyncClientState>;

/**
 * Holds the current repository, persists the mode (setting
 * `repository_mode` in the device file) and switches at runtime. It is a
 * {@link PlaylistRepository} itself, delegating to the current one, so
 * callers and their `onChange` listeners survive a switch. The rules (also
 * in the app's README):
 * - Local → Hybrid: starts sync; the queue made in Local mode is uploaded
 *   once (the server skips operation ids it stored) and merged with other
 *   devices' edits by last-writer-wins.
 * - Hybrid → Local: stops sync; queued edits stay and sync when sync is on again.
 * - → Server-connected: first uploads every waiting edit (progress
 *   reported); when the server cannot be reached or the view cannot load,
 *   the switch is refused and the previous mode stays.
 * - Server-connected → Hybrid or Local: the local copy catches up with the
 *   server before it is shown (best effort when the server is down).
 */
export class PlaylistRepositoryHost implements PlaylistRepository {
  readonly #device: PlaylistDevice;
  readonly #options: RepositoryHostOptions;
  readonly #listeners = new Set<() => void>();
  readonly #statusListeners = new Set<(status: RepositorySyncStatus) => void>();
  #current: LocalRepository | HybridRepository | ServerRepository;
  #unsubscribe: () => void;
  #switching: Promise<unknown> = Promise.resolve();

  private constructor(
    device: PlaylistDevice,
    options: RepositoryHostOptions,
    current: LocalRepository | HybridRepository | ServerRepository,
  ) {
    this.#device = device;
    this.#options = options;
    this.#current = current;
    this.#unsubscribe = this.#install(current);
    device.client.onStatus(() => this.#statusChanged());
  }

  /** Opens the device file in its persisted mode (default {@link DEFAULT_MODE}). */
  static async open(options: RepositoryHostOptions): Promise<PlaylistRepositoryHost> {
    const device = openPlaylistDevice(options);
    const stored = readSetting(device.store.db, "repository_mode");
    const mode = MODES.find((each) => each === stored) ?? DEFAULT_MODE;
    const current =
      mode === "local"
        ? await LocalRepository.open(device)
        : mode === "hybrid"
          ? HybridRepository.open(device)
          : new ServerRepository(device, options);
    return new PlaylistRepositoryHost(device, options, current);
  }

  /** The mode in use. */
  get mode(): RepositoryMode {
    return this.#current.mode;
  }

  /** The device's id (the id its syncing and Server-connected pushes use). */
  get deviceId(): string {
    return this.#device.client.deviceId;
  }

  /** How many entries the legacy migration created when the file was opened. */
  get migratedEntries(): number {
    return this.#device.migratedEntries;
  }

  /** The status panel's data. */
  get status(): RepositorySyncStatus {
    const client = this.#device.client.status;
    const current = this.#current;
    const viewError = current instanceof ServerRepository ? current.watch.lastError : null;
    return {
      mode: current.mode,
      state:
        current instanceof ServerRepository
          ? STATE_OF_VIEW[current.watch.status]
          : current.mode === "local"
            ? "offline"
            : client.state,
      pendingCount: client.pendingCount,
      lastSyncedAt: client.lastSyncedAt,
      lastError: (viewError ?? client.lastError)?.message ?? null,
      refused: client.failedOps.map(({ op, error }) => ({
        operationId: op.operation_id,
        entityType: op.entity_type,
        entityId: op.entity_id,
        reason: error.message,
      })),
      catchUp:
        current instanceof ServerRepository
          ? current.watch.catchUp
          : current.mode === "local"
            ? null
            : client.catchUp,
    };
  }

  /** Calls `listener` with each new status; returns the unsubscribe function. */
  onStatus(listener: (status: RepositorySyncStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  /** "Sync now": pushes and pulls at once, skipping backoff (Hybrid only; never throws for a server that is down). */
  async syncNow(): Promise<void> {
    if (this.#current.mode === "hybrid") await this.#device.client.syncNow();
  }

  /** "Re-sync from server": wipes the local copy and loads it again; queued edits stay (Hybrid only). */
  async resyncFromServer(): Promise<void> {
    if (this.#current.mode === "hybrid") await this.#device.client.resync();
  }

  /** Drops one refused edit from the panel and the queue. */
  dismissRefused(operationId: string): void {
    this.#device.client.dismissFailed(operationId);
    this.#statusChanged();
  }

  /**
   * Switches to `mode` (see the class's rules); switches run one at a time.
   * @throws RepositorySwitchError when Server-connected mode cannot be entered
   */
  switchTo(mode: RepositoryMode, options: SwitchOptions = {}): Promise<SwitchReport> {
    const next = this.#switching.then(() => this.#switch(mode, options));
    this.#switching = next.catch(() => {});
    return next;
  }

  async #switch(mode: RepositoryMode, options: SwitchOptions): Promise<SwitchReport> {
    const from = this.#current;
    if (from.mode === mode) return { mode, message: `Already in ${mode} mode.` };
    const client = this.#device.client;
    if (mode === "server") {
      client.start();
      await this.#drain(from.mode, options);
      const server = new ServerRepository(this.#device, this.#options);
      try {
        await server.ready(this.#options.serverTimeoutMs);
      } catch (error) {
        server.close();
        if (from.mode === "local") await client.stop();
        throw new RepositorySwitchError(from.mode, (error as Error).message);
      }
      await client.stop();
      this.#replace(server);
      return { mode, message: "Connected to the server: edits are made there, at once." };
    }
    writeSetting(this.#device.store.db, "repository_mode", mode);
    if (from instanceof ServerRepository) {
      from.close();
      client.start();
      await client.syncNow(); // catch up before the local copy is shown
    }
    if (mode === "local") {
      this.#replace(await LocalRepository.open(this.#device));
      const { pendingCount } = client.status;
      return {
        mode,
        message:
          pendingCount === 0
            ? "Sync is off: edits stay on this device."
            : `Sync is off: ${pendingCount} edit(s) wait on this device; they will sync when sync is back on.`,
      };
    }
    this.#replace(HybridRepository.open(this.#device));
    await client.syncNow();
    const { pendingCount, lastError } = client.status;
    return {
      mode,
      message:
        pendingCount === 0
          ? "Sync is on: this device is up to date."
          : `Sync is on: ${pendingCount} edit(s) wait for the server${lastError === null ? "" : ` (${lastError.message})`}.`,
    };
  }

  /** Uploads every pending edit, reporting progress. @throws RepositorySwitchError when they cannot all be uploaded */
  async #drain(from: RepositoryMode, { onProgress }: SwitchOptions): Promise<void> {
    const client = this.#device.client;
    const total = client.status.pendingCount;
    const unsubscribe = client.onStatus(({ pendingCount }) =>
      onProgress?.({ pending: pendingCount, total }),
    );
    try {
      onProgress?.({ pending: total, total });
      let before = Number.POSITIVE_INFINITY;
      for (;;) {
        await client.syncNow();
        const { pendingCount, lastError, state } = client.status;
        if (pendingCount === 0 && state !== "error") return;
        if (state === "error" || pendingCount >= before) {
          if (from === "local") await client.stop();
          const reason = lastError?.message ?? "the server is not reachable";
          throw new RepositorySwitchError(
            from,
            `Cannot connect to the server: ${pendingCount} edit(s) could not be uploaded (${reason}). Still in ${from} mode.`,
          );
        }
        before = pendingCount;
      }
    } finally {
      unsubscribe();
    }
  }

  /** Makes `next` the current repository, persisting its mode and telling the listeners. */
  #replace(next: LocalRepository | HybridRepository | ServerRepository): void {
    writeSetting(this.#device.store.db, "repository_mode", next.mode);
    this.#unsubscribe();
    this.#current = next;
    this.#unsubscribe = this.#install(next);
    for (const listener of this.#listeners) listener();
    this.#statusChanged();
  }

  #install(repository: PlaylistRepository): () => void {
    return repository.onChange(() => {
      for (const listener of this.#listeners) listener();
      if (repository instanceof ServerRepository) this.#statusChanged();
    });
  }

  #statusChanged(): void {
    const status = this.status;
    for (const listener of this.#statusListeners) listener(status);
  }

  list(): Promise<PlaylistView[]> {
    return this.#current.list();
  }

  get(id: string): Promise<PlaylistView | undefined> {
    return this.#current.get(id);
  }

  create(name: string): Promise<PlaylistView> {
    return this.#current.create(name);
  }

  rename(id: string, name: string): Promise<PlaylistView> {
    return this.#current.rename(id, name);
  }

  addTrack(id: string, track: string, index?: number): Promise<PlaylistView> {
    return this.#current.addTrack(id, track, index);
  }

  removeEntry(id: string, entryId: string): Promise<PlaylistView> {
    return this.#current.removeEntry(id, entryId);
  }

  moveEntry(id: string, entryId: string, index: number): Promise<PlaylistView> {
    return this.#current.moveEntry(id, entryId, index);
  }

  remove(id: string): Promise<void> {
    return this.#current.remove(id);
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Closes the view, stops syncing and closes the file; queued edits stay. */
  async close(): Promise<void> {
    this.#unsubscribe();
    if (this.#current instanceof ServerRepository) this.#current.close();
    this.#listeners.clear();
    this.#statusListeners.clear();
    await this.#device.close();
  }
}
