import {
  type BackoffOptions,
  createHttpTransport,
  createSyncClient,
  type SessionAccessTokens,
  type SyncClient,
  type Transport,
} from "@syncline/client";
import { SqliteClientStore } from "@syncline/client-sqlite";
import { PLAYLIST, PLAYLIST_ENTRY } from "../model/playlist-entities.js";
import { deviceSuffix } from "../model/position-key.js";
import { migrateLegacyPlaylists } from "./legacy-migration.js";
import { createMirrorTables, type Db, mirrorEntity, rebuildMirror } from "./mirror-tables.js";
import { createSettingsTable } from "./settings-table.js";

/** Options of {@link openPlaylistDevice}. */
export interface OpenPlaylistDeviceOptions {
  /** The SQLite file of this device (created when missing; one file = one device). */
  readonly file: string;
  /** The Syncline server, e.g. `http://127.0.0.1:8787`. */
  readonly url: string;
  /**
   * A JWT the server accepts (`syncline-server token --user UUID`), or the
   * access tokens of a signed-in session (`sessionAccessTokens`), refreshed
   * before they expire and on a 401.
   */
  readonly token: string | SessionAccessTokens;
  /** Backoff of push retries and reconnects. @default { baseMs: 500, maxMs: 30_000 } */
  readonly backoff?: BackoffOptions;
}

/**
 * One device's file and sync engine, shared by the repositories: the store,
 * its `SyncClient` (created stopped; Hybrid starts it), the transport, the
 * mirror tables kept by the client's `onApply`, and change notification.
 */
export interface PlaylistDevice {
  readonly store: SqliteClientStore;
  readonly client: SyncClient<Db>;
  readonly transport: Transport;
  /** A token to send now (a session's is renewed shortly before it expires). */
  accessToken(): Promise<string>;
  /** This device's position-key suffix. */
  readonly suffix: string;
  /** How many entries the legacy migration created on this open (0 when there was nothing to migrate). */
  readonly migratedEntries: number;
  /** Tells the listeners (once the current transaction has committed) that the mirror changed. */
  changed(): void;
  /** Calls `listener` after each change of the mirror tables; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
  /** Stops the client and closes the file; queued edits stay for the next open. */
  close(): Promise<void>;
}

/**
 * Opens the device file: creates the app's tables, migrates a legacy file
 * (`migrateLegacyPlaylists`), and creates the sync client, not started.
 * Server ops update the mirror tables in the transaction that applies them;
 * a reset (or a snapshot load: `reset` with no ops) rebuilds them from
 * `batch.list(type)`.
 */
export function openPlaylistDevice(options: OpenPlaylistDeviceOptions): PlaylistDevice {
  const store = new SqliteClientStore(options.file);
  createSettingsTable(store.db);
  createMirrorTables(store.db);
  const listeners = new Set<() => void>();
  let notifying = false;
  const changed = () => {
    if (notifying) return;
    notifying = true;
    queueMicrotask(() => {
      notifying = false;
      for (const listener of listeners) listener();
    });
  };
  const transport = createHttpTransport({ url: options.url });
  const { token } = options;
  const client = createSyncClient({
    store,
    transport,
    // A session's first token comes through the refresh, on the first 401.
    ...(typeof token === "string" ? { token } : { refreshToken: token.refreshToken }),
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    onApply(db, batch) {
      if (batch.reset) rebuildMirror(db, batch.list(PLAYLIST), batch.list(PLAYLIST_ENTRY));
      for (const op of batch.ops) {
        mirrorEntity(db, op.entity_type, op.entity_id, batch.read(op.entity_type, op.entity_id));
      }
      changed();
    },
  });
  const migratedEntries = migrateLegacyPlaylists(client);
  return {
    store,
    client,
    transport,
    accessToken: typeof token === "string" ? async () => token : token.token,
    suffix: deviceSuffix(client.deviceId),
    migratedEntries,
    changed,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      await client.stop();
      store.close();
    },
  };
}
