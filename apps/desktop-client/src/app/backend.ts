/**
 * What the desktop app's local HTTP server needs from the main process: the
 * current playlist repository, the mode switch, the sync status and the
 * connection settings. The real implementation (SQLite, the sync engine)
 * lives elsewhere; the server only ever sees this interface.
 */
import type { SyncClientState } from "@syncline/client";
import type { PlaylistRepository, RepositoryMode } from "../repository/playlist-repository.js";
import type { AppProgress } from "./app-progress.js";

/** A local edit the server refused, shown until the user dismisses it. */
export interface RefusedEdit {
  /** The operation's id: what {@link AppBackend.dismissFailed} takes. */
  readonly operationId: string;
  /** The server's reason, worded for the user. */
  readonly reason: string;
}

/** The sync status as the window's status panel shows it. */
export interface AppStatus {
  /** The mode the repository runs in (in Local mode the UI shows "sync off" whatever `state` says). */
  readonly mode: RepositoryMode;
  /** The sync engine's state. */
  readonly state: SyncClientState;
  /** Local edits waiting to reach the server. */
  readonly pending: number;
  /** When (epoch ms) the last exchange with the server completed, or null. */
  readonly lastSyncedAt: number | null;
  /** The most recent problem, worded for the user, or null. */
  readonly lastError: string | null;
  /** Local edits the server refused, until dismissed. */
  readonly refused: readonly RefusedEdit[];
  /** A mode switch's upload or a large catch-up under way, or null. */
  readonly progress: AppProgress | null;
  /** Words about the mode or the last switch (e.g. "edits will sync when sync is back on"), or null. */
  readonly notice: string | null;
  /** The account (signed in, waiting for the browser, signed out, or its session expired). */
  readonly account: AccountView;
}

/**
 * The settings. `""` means "none" for the server URL and the token. The
 * token is shown to the window (which lets the user edit it): only the app's
 * own window, holding the launch secret, can read it.
 */
export interface AppSettings {
  /** The current mode. */
  readonly mode: RepositoryMode;
  /** The Syncline server's http(s) URL, or `""`. */
  readonly serverUrl: string;
  /** The token the server accepts, or `""`. */
  readonly token: string;
}

/** The account as Settings shows it. */
export interface AccountView {
  /**
   * `signed-out`; `waiting` (the browser is open at the sign-in page);
   * `signed-in`; `expired` (the server no longer accepts the session:
   * "Sign in again").
   */
  readonly state: "signed-out" | "waiting" | "signed-in" | "expired";
  /** The signed-in account's email, or null. */
  readonly email: string | null;
  /** The server signed in to (or being signed in to), or null. */
  readonly serverUrl: string | null;
  /** Where the sign-in is kept: the OS keyring, this run only (`memory`), or `session.json` (`file`). */
  readonly kept: "keyring" | "memory" | "file";
  /** Why the OS keyring is not used, in words, or null. */
  readonly keyringProblem: string | null;
  /** The user chose to keep the sign-in in a file when there is no keyring. */
  readonly keepInFile: boolean;
}

/** What the browser brought back to the app's loopback callback. */
export interface SignInAnswer {
  readonly state: string | undefined;
  readonly code: string | undefined;
  /** The server's error code, when the sign-in failed there. */
  readonly error: string | undefined;
}

/** A change of the connection settings; an absent field stays as it is, `""` clears it. */
export interface ConnectionChange {
  /** The new server URL (http or https), or `""`. */
  readonly serverUrl?: string;
  /** The new token, or `""`. */
  readonly token?: string;
}

/** How far a mode switch got (e.g. copying local playlists to the server). */
export interface ModeSwitchProgress {
  /** What the switch is doing now, for the user. */
  readonly step: string;
  /** Units of work done. */
  readonly done: number;
  /** Units of work in all (0 when unknown). */
  readonly total: number;
}

/**
 * A request the backend refuses for a reason the user should see:
 * `invalid_settings` (e.g. Server mode without a server URL or token),
 * `offline` (the server is needed and not reachable), `unavailable` (not
 * possible in this mode or now, e.g. "sync now" in Local mode).
 */
export class BackendRefusedError extends Error {
  override readonly name = "BackendRefusedError";
  /** Why the request was refused. */
  readonly type: "invalid_settings" | "offline" | "unavailable";

  constructor(type: BackendRefusedError["type"], message: string) {
    super(message);
    this.type = type;
  }
}

/**
 * The main process as the desktop app's server sees it. Methods that cannot
 * do what they are asked throw a {@link BackendRefusedError} (or, for
 * playlist edits, the repository's `PlaylistEditError`).
 */
export interface AppBackend {
  /** The repository of the current mode; a different object after {@link setMode}. */
  repository(): PlaylistRepository;
  /** The current settings. */
  settings(): AppSettings;
  /** Stores new connection settings (the mode stays as it is). */
  updateConnection(change: ConnectionChange): Promise<void>;
  /**
   * Switches to `mode`, reporting progress; resolves once {@link repository}
   * returns the new mode's repository. On failure the old mode stays.
   */
  setMode(mode: RepositoryMode, onProgress: (progress: ModeSwitchProgress) => void): Promise<void>;
  /** The current sync status. */
  status(): AppStatus;
  /** Calls `listener` with every new status; returns the unsubscribe function. */
  onStatus(listener: (status: AppStatus) => void): () => void;
  /** Pushes queued edits and pulls the server's now. */
  syncNow(): Promise<void>;
  /** Drops the local copy of the server state and fetches it again (pending edits kept). */
  resync(): Promise<void>;
  /** Forgets one refused edit; false when there is no refused edit with that id. */
  dismissFailed(operationId: string): Promise<boolean>;
  /** The account, for Settings. */
  account(): AccountView;
  /**
   * Starts a sign-in at `serverUrl` whose browser returns to `redirectUri`
   * (the app's loopback callback). @returns the sign-in page to open in the browser
   */
  beginSignIn(serverUrl: string, redirectUri: string): Promise<string>;
  /**
   * Completes the sign-in with what came back to the callback: exchanges the
   * code, keeps the session credential, opens the account's own data.
   * @returns the account's email
   */
  completeSignIn(answer: SignInAnswer): Promise<string>;
  /** Signs out: ends the session on the server, stops sync, forgets the credential; local data stays. */
  signOut(): Promise<void>;
  /**
   * Without a keyring: keep the sign-in in a 0600 file in the data folder
   * (the user chose it, warned), or back to this run only. No effect on
   * where it is kept while the keyring works.
   */
  keepSignInInFile(keep: boolean): Promise<void>;
  /** Closes the database and the sync engine; called once, after the server stopped. */
  close(): Promise<void>;
}
