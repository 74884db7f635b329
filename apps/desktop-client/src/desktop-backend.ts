import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { sessionAccessTokens } from "@syncline/client";
import {
  type OpenedCredentialStore,
  openCredentialStore,
  type SessionCredential,
} from "./account/credential-store.js";
import {
  beginNativeSignIn,
  exchangeSignInCode,
  type PendingSignIn,
  revokeSession,
  SignInError,
} from "./account/native-sign-in.js";
import { type AppProgress, catchUpAppProgress } from "./app/app-progress.js";
import {
  type AccountView,
  type AppBackend,
  type AppSettings,
  type AppStatus,
  BackendRefusedError,
  type ConnectionChange,
  type ModeSwitchProgress,
  type SignInAnswer,
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
  /** Without a keyring, keep the sign-in in `session.json` (the user chose it). */
  keepSignInInFile: boolean;
}

async function readConnection(file: string): Promise<Connection> {
  if (!existsSync(file)) return { serverUrl: "", token: "", keepSignInInFile: false };
  const parsed = JSON.parse(await readFile(file, "utf8")) as Partial<Connection>;
  return {
    serverUrl: typeof parsed.serverUrl === "string" ? parsed.serverUrl : "",
    token: typeof parsed.token === "string" ? parsed.token : "",
    keepSignInInFile: parsed.keepSignInInFile === true,
  };
}

/** Where a signed-in account's device file lives: one folder per account, so accounts never mix. */
export function accountDeviceFile(dataDir: string, userId: string): string {
  return join(dataDir, ACCOUNTS_DIR, userId, DEVICE_FILE);
}

/** The folder of the per-account device files inside the data folder. */
export const ACCOUNTS_DIR = "accounts";

/** SQLite's files of one database: the file and its write-ahead log. */
const SQLITE_FILES = ["", "-wal", "-shm"];

/**
 * The desktop app's main process as its window's server sees it: one
 * {@link PlaylistRepositoryHost} (its mode persisted in its file), on
 * `<dataDir>/accounts/<user id>/playlists.db` while signed in (the session
 * credential in the OS keyring, see `credential-store.ts`), else on
 * `<dataDir>/playlists.db` with the server URL and token of
 * `<dataDir>/connection.json`. A new connection or account reopens the host;
 * the window's listeners stay subscribed through it. Without a sign-in or a
 * server URL and token the app runs in Local mode.
 */
export class DesktopBackend implements AppBackend {
  readonly #dataDir: string;
  #connection: Connection;
  #credentials: OpenedCredentialStore;
  /** The signed-in account's credential, or null when signed out. */
  #credential: SessionCredential | null;
  /** The sign-in waiting for the browser, or null. */
  #pendingSignIn: PendingSignIn | null = null;
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

  private constructor(
    dataDir: string,
    connection: Connection,
    credentials: OpenedCredentialStore,
    credential: SessionCredential | null,
    host: PlaylistRepositoryHost,
  ) {
    this.#dataDir = dataDir;
    this.#connection = connection;
    this.#credentials = credentials;
    this.#credential = credential;
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
    const credentials = await openCredentialStore({
      dataDir,
      allowFileStore: connection.keepSignInInFile,
    });
    const credential = await credentials.store.load();
    const host = await DesktopBackend.#openHost(dataDir, connection, credential);
    if (!DesktopBackend.#connected(connection, credential) && host.mode !== "local")
      await host.switchTo("local");
    return new DesktopBackend(dataDir, connection, credentials, credential, host);
  }

  /** The host of the signed-in account's own file, or (signed out) of the data folder's. */
  static async #openHost(
    dataDir: string,
    connection: Connection,
    credential: SessionCredential | null,
  ): Promise<PlaylistRepositoryHost> {
    const backoff = { baseMs: 250, maxMs: 5000 };
    if (credential) {
      const file = accountDeviceFile(dataDir, credential.userId);
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      return PlaylistRepositoryHost.open({
        file,
        url: credential.serverUrl,
        token: sessionAccessTokens({
          url: credential.serverUrl,
          sessionToken: credential.sessionToken,
        }),
        backoff,
      });
    }
    return PlaylistRepositoryHost.open({
      file: join(dataDir, DEVICE_FILE),
      // Local mode never starts the client, so a placeholder URL is never dialled.
      url: connection.serverUrl || "http://127.0.0.1:9",
      token: connection.token,
      backoff,
    });
  }

  static #connected(connection: Connection, credential: SessionCredential | null): boolean {
    return credential !== null || (connection.serverUrl !== "" && connection.token !== "");
  }

  /**
   * Closes the host in use and opens the one for the current account or
   * connection; `whileClosed` runs in between (e.g. to move a file).
   */
  async #reopen(whileClosed?: () => Promise<void>): Promise<void> {
    this.#stopHostStatus();
    this.#stopHostChanges();
    await this.#host.close();
    await whileClosed?.();
    this.#host = await DesktopBackend.#openHost(this.#dataDir, this.#connection, this.#credential);
    this.#stopHostStatus = this.#host.onStatus(() => this.#statusChanged());
    this.#stopHostChanges = this.#host.onChange(() => this.#changed());
  }

  repository(): PlaylistRepository {
    return this.#repository;
  }

  settings(): AppSettings {
    const { serverUrl, token } = this.#connection;
    return { mode: this.#host.mode, serverUrl, token };
  }

  account(): AccountView {
    const { store, keyringProblem } = this.#credentials;
    const credential = this.#credential;
    return {
      // `error`: the server refused the token (Server-connected: or a request).
      state: credential
        ? this.#host.status.state === "error"
          ? "expired"
          : "signed-in"
        : this.#pendingSignIn
          ? "waiting"
          : "signed-out",
      email: credential?.email ?? null,
      serverUrl: credential?.serverUrl ?? this.#pendingSignIn?.serverUrl ?? null,
      kept: store.kind,
      keyringProblem,
      keepInFile: this.#connection.keepSignInInFile,
    };
  }

  async keepSignInInFile(keep: boolean): Promise<void> {
    this.#connection = { ...this.#connection, keepSignInInFile: keep };
    await this.#writeConnection();
    const before = this.#credentials.store;
    this.#credentials = await openCredentialStore({ dataDir: this.#dataDir, allowFileStore: keep });
    if (this.#credentials.store.kind !== before.kind) {
      await before.remove();
      if (this.#credential) await this.#credentials.store.save(this.#credential);
    }
    this.#statusChanged();
  }

  async #writeConnection(): Promise<void> {
    await writeFile(join(this.#dataDir, CONNECTION_FILE), JSON.stringify(this.#connection), {
      mode: 0o600,
    });
  }

  async beginSignIn(serverUrl: string, redirectUri: string): Promise<string> {
    this.#pendingSignIn = beginNativeSignIn(serverUrl, redirectUri);
    this.#statusChanged();
    return this.#pendingSignIn.browserUrl;
  }

  async completeSignIn(answer: SignInAnswer): Promise<string> {
    const pending = this.#pendingSignIn;
    if (!pending || answer.state !== pending.state) {
      throw new BackendRefusedError(
        "unavailable",
        "This sign-in was not started by this app (or was already finished). Start it again from Settings.",
      );
    }
    this.#pendingSignIn = null;
    try {
      if (answer.code === undefined) {
        throw new SignInError(`The sign-in did not complete: ${answer.error ?? "no code"}.`);
      }
      const credential = await exchangeSignInCode(pending, answer.code);
      await this.#credentials.store.save(credential);
      await this.#signInAs(credential);
      return credential.email;
    } catch (error) {
      if (error instanceof SignInError) throw new BackendRefusedError("offline", error.message);
      throw error;
    } finally {
      this.#statusChanged();
    }
  }

  async signOut(): Promise<void> {
    const credential = this.#credential;
    this.#pendingSignIn = null;
    if (!credential) return;
    await revokeSession(credential);
    await this.#credentials.store.remove();
    this.#credential = null;
    // Sync stops; the account's file stays on this machine for the next sign-in.
    await this.#reopen();
    if (this.#host.mode !== "local" && !DesktopBackend.#connected(this.#connection, null)) {
      await this.#host.switchTo("local");
    }
    this.#notice =
      "Signed out. This account's playlists stay on this computer for your next sign-in.";
    this.#changed();
    this.#statusChanged();
  }

  /**
   * Opens the account's own file and syncs it (Hybrid). On an account's
   * first sign-in on this machine, what was made signed out becomes its
   * file, so it uploads once by the Local → Hybrid rule.
   */
  async #signInAs(credential: SessionCredential): Promise<void> {
    let adopted = false;
    await this.#reopen(async () => {
      const target = accountDeviceFile(this.#dataDir, credential.userId);
      const signedOut = join(this.#dataDir, DEVICE_FILE);
      if (!existsSync(target) && existsSync(signedOut) && this.#credential === null) {
        await mkdir(dirname(target), { recursive: true, mode: 0o700 });
        for (const suffix of SQLITE_FILES) {
          if (existsSync(signedOut + suffix)) await rename(signedOut + suffix, target + suffix);
        }
        adopted = true;
      }
      this.#credential = credential;
    });
    const report = await this.#host.switchTo("hybrid");
    this.#notice = adopted
      ? `Signed in as ${credential.email}. The playlists made while signed out are uploaded to this account.`
      : `Signed in as ${credential.email}. ${report.message}`;
    this.#changed();
  }

  async updateConnection(change: ConnectionChange): Promise<void> {
    const next: Connection = { ...this.#connection, ...change };
    this.#connection = next;
    await this.#writeConnection();
    // The sync engine takes its server and token when opened: reopen it on the same file.
    await this.#reopen();
    if (!DesktopBackend.#connected(next, this.#credential) && this.#host.mode !== "local") {
      this.#notice = (await this.#host.switchTo("local")).message;
    }
    this.#changed();
    this.#statusChanged();
  }

  async setMode(
    mode: RepositoryMode,
    onProgress: (progress: ModeSwitchProgress) => void,
  ): Promise<void> {
    if (mode !== "local" && !DesktopBackend.#connected(this.#connection, this.#credential)) {
      throw new BackendRefusedError(
        "invalid_settings",
        "Sign in (or set the server URL and a token) first: Hybrid and Server-connected modes need a server.",
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
      account: this.account(),
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
