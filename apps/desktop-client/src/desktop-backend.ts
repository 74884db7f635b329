import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type AppProgress, catchUpAppProgress } from "./app/app-progress.js";
import {
  type AppBackend,
  type AppSettings,
  type AppStatus,
  BackendRefusedError,
  type ConnectionChange,
  type ModeSwitchProgress,
} from "./app/backend.js";
import type { PlaylistRepository, RepositoryMode } from "./repository/playlist-repository.js";
import {
  PlaylistRepositoryHost,
  RepositorySwitchError,
  type RepositorySyncStatus,
} from "./repository/repository-host.js";

/** The device's SQLite file inside the data folder. */
export const DEVICE_FILE = "playlists.db";

/** The connection settings inside the data folder (0600: it holds the token). */
export const CONNECTION_FILE = "connection.json";

interface Connection {
  serverUrl: string;
  token: string;
}

async function readConnection(file: string): Promise<Connection> {
  if (!existsSync(file)) return { serverUrl: "", token: "" };
  const parsed = JSON.parse(await readFile(file, "utf8")) as Partial<Connection>;
  return {
    serverUrl: typeof parsed.serverUrl === "string" ? parsed.serverUrl : "",
    token: typeof parsed.token === "string" ? parsed.token : "",
  };
}

/**
 * The desktop app's main process as its window's server sees it: one
 * {@link PlaylistRepositoryHost} on `<dataDir>/playlists.db` (its mode
 * persisted in the file), the server URL and token in
 * `<dataDir>/connection.json`. A new connection reopens the host on the same
 * file; the window's listeners stay subscribed through it. Without a server
 * URL and token the app runs in Local mode.
 */
export class DesktopBackend implements AppBackend {
  readonly #dataDir: string;
  #connection: Connection;
  #host: PlaylistRepositoryHost;
  #stopHostStatus: () => void;
  #stopHostChanges: () => void;
  readonly #changeListeners = new Set<() => void>();
  readonly #statusListeners = new Set<(status: AppStatus) => void>();
  #notice: string | null = null;
  /** How far a mode switch's upload got, or null. */
  #switchProgress: AppProgress | null = null;
  /** Forwards to the host in use, so a reopened host keeps the window's listeners. */
  readonly #repository: PlaylistRepository;

  private constructor(dataDir: string, connection: Connection, host: PlaylistRepositoryHost) {
    this.#dataDir = dataDir;
    this.#connection = connection;
    this.#host = host;
    this.#stopHostStatus = host.onStatus(() => this.#statusChanged());
    this.#stopHostChanges = host.onChange(() => this.#changed());
    const current = () => this.#host;
    this.#repository = {
      get mode() {
        return current().mode;
      },
      list: () => current().list(),
      get: (id) => current().get(id),
      create: (name) => current().create(name),
      rename: (id, name) => current().rename(id, name),
      addTrack: (id, track, index) => current().addTrack(id, track, index),
      removeEntry: (id, entryId) => current().removeEntry(id, entryId),
      moveEntry: (id, entryId, index) => current().moveEntry(id, entryId, index),
      remove: (id) => current().remove(id),
      onChange: (listener) => {
        this.#changeListeners.add(listener);
        return () => this.#changeListeners.delete(listener);
      },
    };
  }

  /** Opens (creating it when missing) the data folder's device file and connection settings. */
  static async open(dataDir: string): Promise<DesktopBackend> {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const connection = await readConnection(join(dataDir, CONNECTION_FILE));
    const host = await DesktopBackend.#openHost(dataDir, connection);
    if (!DesktopBackend.#connected(connection) && host.mode !== "local")
      await host.switchTo("local");
    return new DesktopBackend(dataDir, connection, host);
  }

  static #openHost(dataDir: string, connection: Connection): Promise<PlaylistRepositoryHost> {
    return PlaylistRepositoryHost.open({
      file: join(dataDir, DEVICE_FILE),
      // Local mode never starts the client, so a placeholder URL is never dialled.
      url: connection.serverUrl || "http://127.0.0.1:9",
      token: connection.token,
      backoff: { baseMs: 250, maxMs: 5000 },
    });
  }

  static #connected(connection: Connection): boolean {
    return connection.serverUrl !== "" && connection.token !== "";
  }

  repository(): PlaylistRepository {
    return this.#repository;
  }

  settings(): AppSettings {
    return { mode: this.#host.mode, ...this.#connection };
  }

  async updateConnection(change: ConnectionChange): Promise<void> {
    const next: Connection = { ...this.#connection, ...change };
    await writeFile(join(this.#dataDir, CONNECTION_FILE), JSON.stringify(next), { mode: 0o600 });
    this.#connection = next;
    // The sync engine takes its server and token when opened: reopen it on the same file.
    this.#stopHostStatus();
    this.#stopHostChanges();
    await this.#host.close();
    this.#host = await DesktopBackend.#openHost(this.#dataDir, next);
    this.#stopHostStatus = this.#host.onStatus(() => this.#statusChanged());
    this.#stopHostChanges = this.#host.onChange(() => this.#changed());
    if (!DesktopBackend.#connected(next) && this.#host.mode !== "local") {
      this.#notice = (await this.#host.switchTo("local")).message;
    }
    this.#changed();
    this.#statusChanged();
  }

  async setMode(
    mode: RepositoryMode,
    onProgress: (progress: ModeSwitchProgress) => void,
  ): Promise<void> {
    if (mode !== "local" && !DesktopBackend.#connected(this.#connection)) {
      throw new BackendRefusedError(
        "invalid_settings",
        "Set the server URL and a token first: Hybrid and Server-connected modes need a server.",
      );
    }
    try {
      const report = await this.#host.switchTo(mode, {
        onProgress: ({ pending, total }) => {
          const step = "Uploading edits made on this device";
          this.#switchProgress =
            total === 0
              ? null
              : {
                  step: `${step}: ${total - pending} of ${total}`,
                  fraction: (total - pending) / total,
                };
          onProgress({ step, done: total - pending, total });
          this.#statusChanged();
        },
      });
      this.#notice = report.message;
    } catch (error) {
      if (error instanceof RepositorySwitchError) {
        throw new BackendRefusedError("offline", error.message);
      }
      throw error;
    } finally {
      this.#switchProgress = null;
      this.#changed();
      this.#statusChanged();
    }
  }

  status(): AppStatus {
    const status: RepositorySyncStatus = this.#host.status;
    return {
      mode: status.mode,
      state: status.state,
      pending: status.pendingCount,
      lastSyncedAt: status.lastSyncedAt,
      lastError: status.lastError,
      refused: status.refused.map(({ operationId, reason }) => ({ operationId, reason })),
      progress:
        this.#switchProgress ??
        (status.catchUp === null ? null : catchUpAppProgress(status.catchUp)),
      notice: this.#notice,
    };
  }

  onStatus(listener: (status: AppStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  async syncNow(): Promise<void> {
    if (this.#host.mode !== "hybrid") {
      throw new BackendRefusedError("unavailable", "Sync now works in Hybrid mode.");
    }
    await this.#host.syncNow();
  }

  async resync(): Promise<void> {
    if (this.#host.mode !== "hybrid") {
      throw new BackendRefusedError("unavailable", "Re-sync from server works in Hybrid mode.");
    }
    await this.#host.resyncFromServer();
  }

  async dismissFailed(operationId: string): Promise<boolean> {
    if (!this.#host.status.refused.some((edit) => edit.operationId === operationId)) return false;
    this.#host.dismissRefused(operationId);
    return true;
  }

  async close(): Promise<void> {
    this.#stopHostStatus();
    this.#stopHostChanges();
    await this.#host.close();
  }

  #changed(): void {
    for (const listener of this.#changeListeners) listener();
  }

  #statusChanged(): void {
    const status = this.status();
    for (const listener of this.#statusListeners) listener(status);
  }
}
