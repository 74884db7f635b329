/**
 * An in-memory {@link AppBackend} for the desktop app's tests: a test double
 * of our own interface (no database, no sync engine), so the server's real
 * HTTP, sockets and processes can be tested against it.
 */
import { randomUUID } from "node:crypto";
import {
  PlaylistEditError,
  type PlaylistEntry,
  type PlaylistRepository,
  type PlaylistView,
  type RepositoryMode,
} from "../../repository/playlist-repository.js";
import {
  type AccountView,
  type AppBackend,
  type AppSettings,
  type AppStatus,
  BackendRefusedError,
  type ConnectionChange,
  type ModeSwitchProgress,
  type RefusedEdit,
  type SignInAnswer,
} from "../backend.js";

interface StoredPlaylist {
  name: string;
  tracks: { entryId: string; track: string }[];
}

/** Playlists in a Map; positions are the entries' indexes, zero-padded. */
export class MemoryRepository implements PlaylistRepository {
  readonly mode: RepositoryMode;
  readonly #playlists: Map<string, StoredPlaylist>;
  readonly #listeners = new Set<() => void>();

  constructor(mode: RepositoryMode, playlists = new Map<string, StoredPlaylist>()) {
    this.mode = mode;
    this.#playlists = playlists;
  }

  /** A repository of `mode` holding a copy of these playlists. */
  copyAs(mode: RepositoryMode): MemoryRepository {
    const copy = new Map<string, StoredPlaylist>();
    for (const [id, { name, tracks }] of this.#playlists)
      copy.set(id, { name, tracks: [...tracks] });
    return new MemoryRepository(mode, copy);
  }

  async list(): Promise<PlaylistView[]> {
    return [...this.#playlists.keys()]
      .map((id) => this.#view(id))
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  async get(id: string): Promise<PlaylistView | undefined> {
    return this.#playlists.has(id) ? this.#view(id) : undefined;
  }

  async create(name: string): Promise<PlaylistView> {
    const id = randomUUID();
    this.#playlists.set(id, { name, tracks: [] });
    return this.#changed(id);
  }

  async rename(id: string, name: string): Promise<PlaylistView> {
    this.#find(id).name = name;
    return this.#changed(id);
  }

  async addTrack(id: string, track: string, index?: number): Promise<PlaylistView> {
    const { tracks } = this.#find(id);
    tracks.splice(index ?? tracks.length, 0, { entryId: randomUUID(), track });
    return this.#changed(id);
  }

  async removeEntry(id: string, entryId: string): Promise<PlaylistView> {
    const { tracks } = this.#find(id);
    tracks.splice(this.#entryIndex(tracks, entryId), 1);
    return this.#changed(id);
  }

  async moveEntry(id: string, entryId: string, index: number): Promise<PlaylistView> {
    const { tracks } = this.#find(id);
    const [moved] = tracks.splice(this.#entryIndex(tracks, entryId), 1);
    tracks.splice(index, 0, moved!);
    return this.#changed(id);
  }

  async remove(id: string): Promise<void> {
    this.#find(id);
    this.#playlists.delete(id);
    for (const listener of this.#listeners) listener();
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** How many listeners are subscribed (to check the server follows a mode switch). */
  get listenerCount(): number {
    return this.#listeners.size;
  }

  #find(id: string): StoredPlaylist {
    const found = this.#playlists.get(id);
    if (found === undefined) throw new PlaylistEditError("not_found", `No playlist ${id}.`);
    return found;
  }

  #entryIndex(tracks: StoredPlaylist["tracks"], entryId: string): number {
    const at = tracks.findIndex((entry) => entry.entryId === entryId);
    if (at < 0) throw new PlaylistEditError("not_found", `No entry ${entryId}.`);
    return at;
  }

  #view(id: string): PlaylistView {
    const { name, tracks } = this.#find(id);
    const entries: PlaylistEntry[] = tracks.map((entry, at) => ({
      ...entry,
      position: String(at).padStart(6, "0"),
    }));
    return { id, name, entries };
  }

  #changed(id: string): PlaylistView {
    for (const listener of this.#listeners) listener();
    return this.#view(id);
  }
}

/**
 * The backend double: settings, a mode switch that copies the playlists in
 * two reported steps (refused for Server or Hybrid mode without a server URL
 * and token), a status the test can change, and counters of the sync actions.
 */
export class MemoryBackend implements AppBackend {
  #repository = new MemoryRepository("local");
  #serverUrl = "";
  #token = "";
  #status: Omit<AppStatus, "account">;
  readonly #statusListeners = new Set<(status: AppStatus) => void>();
  /** When set, a mode switch waits for this promise between its two steps. */
  modeSwitchGate: Promise<void> | undefined;
  /** How often each action ran. */
  readonly calls = { setMode: 0, syncNow: 0, resync: 0, close: 0 };

  constructor() {
    this.#status = {
      mode: "local",
      state: "offline",
      pending: 0,
      lastSyncedAt: null,
      lastError: null,
      refused: [],
      progress: null,
      notice: null,
    };
  }

  repository(): MemoryRepository {
    return this.#repository;
  }

  settings(): AppSettings {
    return {
      mode: this.#repository.mode,
      serverUrl: this.#serverUrl,
      token: this.#token,
    };
  }

  async updateConnection(change: ConnectionChange): Promise<void> {
    if (change.serverUrl !== undefined) this.#serverUrl = change.serverUrl;
    if (change.token !== undefined) this.#token = change.token;
  }

  async setMode(
    mode: RepositoryMode,
    onProgress: (progress: ModeSwitchProgress) => void,
  ): Promise<void> {
    this.calls.setMode++;
    if (mode !== "local" && (this.#serverUrl === "" || this.#token === "")) {
      throw new BackendRefusedError(
        "invalid_settings",
        `${mode} mode needs a server URL and a token.`,
      );
    }
    onProgress({ step: "copying playlists", done: 0, total: 2 });
    await this.modeSwitchGate;
    onProgress({ step: "copying playlists", done: 1, total: 2 });
    this.#repository = this.#repository.copyAs(mode);
    this.setStatus({ mode, state: mode === "local" ? "offline" : "synced" });
  }

  status(): AppStatus {
    return { ...this.#status, account: this.account() };
  }

  /** Changes the status and tells the listeners. */
  setStatus(change: Partial<Omit<AppStatus, "account">>): void {
    this.#status = { ...this.#status, ...change };
    for (const listener of this.#statusListeners) listener(this.status());
  }

  /** Adds a refused edit to the status. */
  refuse(edit: RefusedEdit): void {
    this.setStatus({ refused: [...this.#status.refused, edit] });
  }

  onStatus(listener: (status: AppStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  async syncNow(): Promise<void> {
    this.#refuseInLocalMode();
    this.calls.syncNow++;
    this.setStatus({ lastSyncedAt: Date.now() });
  }

  async resync(): Promise<void> {
    this.#refuseInLocalMode();
    this.calls.resync++;
  }

  async dismissFailed(operationId: string): Promise<boolean> {
    const refused = this.#status.refused.filter((edit) => edit.operationId !== operationId);
    if (refused.length === this.#status.refused.length) return false;
    this.setStatus({ refused });
    return true;
  }

  /** The sign-in under way: its state and where the browser returns. */
  pendingSignIn: { state: string; redirectUri: string } | null = null;
  #email: string | null = null;
  #keepInFile = false;

  async keepSignInInFile(keep: boolean): Promise<void> {
    this.#keepInFile = keep;
    this.setStatus({});
  }

  account(): AccountView {
    return {
      state: this.#email ? "signed-in" : this.pendingSignIn ? "waiting" : "signed-out",
      email: this.#email,
      serverUrl: this.#email || this.pendingSignIn ? this.#serverUrl : null,
      kept: this.#keepInFile ? "file" : "memory",
      keyringProblem: null,
      keepInFile: this.#keepInFile,
    };
  }

  async beginSignIn(serverUrl: string, redirectUri: string): Promise<string> {
    this.#serverUrl = serverUrl;
    this.pendingSignIn = { state: `state-${Math.random().toString(36).slice(2)}`, redirectUri };
    this.setStatus({});
    return `${serverUrl}/sign-in?state=${this.pendingSignIn.state}`;
  }

  /** Takes the code `good` for the account `ann@example.com`; refuses everything else. */
  async completeSignIn(answer: SignInAnswer): Promise<string> {
    const pending = this.pendingSignIn;
    if (!pending || answer.state !== pending.state) {
      throw new BackendRefusedError("unavailable", "This sign-in was not started by this app.");
    }
    this.pendingSignIn = null;
    if (answer.code !== "good")
      throw new BackendRefusedError("offline", "The server refused the code.");
    this.#email = "ann@example.com";
    this.setStatus({});
    return this.#email;
  }

  async signOut(): Promise<void> {
    this.#email = null;
    this.setStatus({});
  }

  async close(): Promise<void> {
    this.calls.close++;
  }

  #refuseInLocalMode(): void {
    if (this.#repository.mode === "local") {
      throw new BackendRefusedError("unavailable", "Local mode does not sync.");
    }
  }
}
