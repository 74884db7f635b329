/**
 * The window's client of the local process's API: same origin, authenticated
 * by the per-launch cookie the process set when the window opened.
 */

import type { AccountView, AppSettings, AppStatus } from "../../src/app/backend.js";
import type { PlaylistView, RepositoryMode } from "../../src/repository/playlist-repository.js";

// The shapes are the local process's own (type-only imports, erased by Vite).
/** One playlist with its entries in order. */
export type Playlist = PlaylistView;
/** Settings → "Server mode". */
export type Mode = RepositoryMode;
/** What the sync status panel shows. */
export type Status = AppStatus;
/** The app's settings. */
export type Settings = AppSettings;
/** Settings → "Account". */
export type Account = AccountView;

/** An answer that was not 2xx: the process's `{ type, message }` body. */
export class ApiError extends Error {
  override readonly name = "ApiError";
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const message =
      parsed && typeof parsed === "object" && "message" in parsed
        ? String(parsed.message)
        : `${response.status} ${response.statusText}`;
    throw new ApiError(message);
  }
  return parsed as T;
}

/** Every call the window makes. */
export const api = {
  playlists: () => call<Playlist[]>("GET", "/api/playlists"),
  create: (name: string) => call<Playlist>("POST", "/api/playlists", { name }),
  rename: (id: string, name: string) => call<Playlist>("PATCH", `/api/playlists/${id}`, { name }),
  remove: (id: string) => call<void>("DELETE", `/api/playlists/${id}`),
  addTrack: (id: string, track: string, index?: number) =>
    call<Playlist>(
      "POST",
      `/api/playlists/${id}/entries`,
      index === undefined ? { track } : { track, index },
    ),
  removeEntry: (id: string, entryId: string) =>
    call<Playlist>("DELETE", `/api/playlists/${id}/entries/${entryId}`),
  moveEntry: (id: string, entryId: string, index: number) =>
    call<Playlist>("POST", `/api/playlists/${id}/entries/${entryId}/move`, { index }),
  status: () => call<Status>("GET", "/api/status"),
  settings: () => call<Settings>("GET", "/api/settings"),
  saveSettings: (settings: Partial<Settings>) => call<Settings>("PUT", "/api/settings", settings),
  syncNow: () => call<void>("POST", "/api/sync-now"),
  resync: () => call<void>("POST", "/api/resync"),
  dismiss: (operationId: string) => call<void>("POST", `/api/failed/${operationId}/dismiss`),
  signIn: (serverUrl: string) =>
    call<{ browserUrl: string; account: Account }>("POST", "/api/account/sign-in", { serverUrl }),
  signOut: () => call<Account>("POST", "/api/account/sign-out"),
  keepInFile: (keep: boolean) => call<Account>("POST", "/api/account/keep-in-file", { keep }),
};

/**
 * Follows the process's server-sent events: `playlists` and `status` say
 * what to read again. EventSource reconnects by itself.
 * @returns a function that stops listening
 */
export function onEvents(handlers: { playlists(): void; status(): void }): () => void {
  const source = new EventSource("/api/events", { withCredentials: true });
  source.addEventListener("playlists", () => handlers.playlists());
  source.addEventListener("status", () => handlers.status());
  source.addEventListener("mode", () => handlers.status());
  return () => source.close();
}
