import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { RepositoryMode } from "../repository/playlist-repository.js";
import type { AppBackend, ModeSwitchProgress } from "./backend.js";

/**
 * One server-sent event: `playlists` (data: the whole list, after any
 * change), `status` (data: the sync status), `mode` (data: a mode switch's
 * progress, then its end).
 */
export type LiveEvent =
  | { readonly event: "playlists"; readonly data: unknown }
  | { readonly event: "status"; readonly data: unknown }
  | { readonly event: "mode"; readonly data: ModeEvent };

/** The data of a `mode` event. */
export type ModeEvent =
  | {
      readonly phase: "progress";
      readonly to: RepositoryMode;
      readonly progress: ModeSwitchProgress;
    }
  | { readonly phase: "done"; readonly to: RepositoryMode }
  | { readonly phase: "failed"; readonly to: RepositoryMode; readonly message: string };

/**
 * The live updates of `GET /api/events`: listens to the backend once and
 * fans its changes out to every connected event stream. A new stream first
 * gets the current `status` and `playlists`. Playlist changes are coalesced:
 * one list read at a time, one more if something changed meanwhile.
 */
export class LiveEvents {
  readonly #backend: AppBackend;
  readonly #streams = new Set<(event: LiveEvent) => void>();
  readonly #ends = new Set<() => void>();
  readonly #stopStatus: () => void;
  #stopPlaylists: () => void;
  readonly #onStreamCount: (count: number) => void;
  #reading = false;
  #stale = false;

  /** @param onStreamCount told how many streams are connected, each time one comes or goes */
  constructor(backend: AppBackend, onStreamCount: (count: number) => void = () => {}) {
    this.#backend = backend;
    this.#onStreamCount = onStreamCount;
    this.#stopStatus = backend.onStatus((status) => this.#send({ event: "status", data: status }));
    this.#stopPlaylists = backend.repository().onChange(() => this.#playlistsChanged());
  }

  /** Answers `GET /api/events` with a stream that lasts until the client leaves or {@link close}. */
  stream(c: Context): Response {
    return streamSSE(c, async (stream) => {
      let end = () => {};
      const ended = new Promise<void>((resolve) => {
        end = resolve;
      });
      // A write fails only once the client left: the stream is over.
      const write = (event: LiveEvent) =>
        void stream.writeSSE({ event: event.event, data: JSON.stringify(event.data) }).catch(end);
      this.#ends.add(end);
      stream.onAbort(end);
      this.#streams.add(write);
      this.#onStreamCount(this.#streams.size);
      try {
        write({ event: "status", data: this.#backend.status() });
        write({ event: "playlists", data: await this.#backend.repository().list() });
        await ended;
      } finally {
        this.#streams.delete(write);
        this.#ends.delete(end);
        this.#onStreamCount(this.#streams.size);
      }
    });
  }

  /** Tells every stream how a mode switch goes. */
  mode(data: ModeEvent): void {
    this.#send({ event: "mode", data });
  }

  /** Follows the backend's new repository after a mode switch, and sends its list. */
  repositorySwitched(): void {
    this.#stopPlaylists();
    this.#stopPlaylists = this.#backend.repository().onChange(() => this.#playlistsChanged());
    this.#playlistsChanged();
  }

  /** Stops listening to the backend and ends every stream. */
  close(): void {
    this.#stopStatus();
    this.#stopPlaylists();
    for (const end of this.#ends) end();
    this.#ends.clear();
  }

  #send(event: LiveEvent): void {
    for (const write of this.#streams) write(event);
  }

  #playlistsChanged(): void {
    if (this.#streams.size === 0) return;
    if (this.#reading) {
      this.#stale = true;
      return;
    }
    this.#reading = true;
    void (async () => {
      try {
        do {
          this.#stale = false;
          this.#send({ event: "playlists", data: await this.#backend.repository().list() });
        } while (this.#stale);
      } catch (error) {
        process.stderr.write(`syncline-playlists: could not read the playlists: ${error}\n`);
      } finally {
        this.#reading = false;
      }
    })();
  }
}
