import { randomUUID } from "node:crypto";
import {
  type BackoffOptions,
  type ServerStateWatch,
  type TransportFailure,
  tickLocal,
  uuidv7,
  watchServerState,
} from "@syncline/client";
import {
  type JsonValue,
  MAX_PUSH_OPS,
  type MaterializedState,
  type Op,
  OpSchema,
  recoveryFor,
} from "@syncline/protocol";
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
import { playlistViewsOfState } from "../model/playlist-views.js";
import type { PlaylistDevice } from "../store/playlist-device.js";
import {
  PlaylistEditError,
  type PlaylistRepository,
  type PlaylistView,
} from "./playlist-repository.js";

/** Options of {@link ServerRepository}. */
export interface ServerRepositoryOptions {
  /** Backoff of the view's reconnects. @default { baseMs: 500, maxMs: 30_000 } */
  readonly backoff?: BackoffOptions;
  /** How long an edit waits for the live view to show it before returning. @default 3000 */
  readonly reflectTimeoutMs?: number;
}

/** Restamps in a row after `lamport_conflict` before the edit is refused. */
const MAX_RESTAMPS = 3;

/** `state` with `changes` laid on top, as the server will show them. */
function withChanges(
  state: MaterializedState,
  changes: readonly EntityChange[],
): MaterializedState {
  const next: MaterializedState = { ...state };
  for (const change of changes) {
    const byId = { ...next[change.entityType] };
    if (change.op === "delete") delete byId[change.entityId];
    else byId[change.entityId] = { ...byId[change.entityId], [change.field]: change.value };
    next[change.entityType] = byId;
  }
  return next;
}

/** Whether the view already shows every change. */
function shows(state: MaterializedState, changes: readonly EntityChange[]): boolean {
  return changes.every((change) => {
    const fields = state[change.entityType]?.[change.entityId];
    if (change.op === "delete") return fields === undefined;
    const value: JsonValue | undefined = fields?.[change.field];
    return value !== undefined && JSON.stringify(value) === JSON.stringify(change.value);
  });
}

/** The error an edit throws for a refused or failed push. */
function editErrorOf(failure: TransportFailure): PlaylistEditError {
  if (failure.type === "network") {
    return new PlaylistEditError(
      "offline",
      `The server is not reachable (${failure.message}); nothing was changed.`,
    );
  }
  if (failure.type === "http") {
    const recovery = recoveryFor(failure.status, failure.body?.type);
    if (recovery === "retry") {
      return new PlaylistEditError(
        "offline",
        `The server is not available (${failure.message}); nothing was changed.`,
      );
    }
    if (recovery === "reauthenticate") {
      return new PlaylistEditError(
        "refused",
        "The server refused the sign-in token; nothing was changed.",
      );
    }
  }
  return new PlaylistEditError("refused", `The server refused the edit: ${failure.message}`);
}

/**
 * Server-connected mode: reads the server's state live (`watchServerState`,
 * with a view id of its own) and makes each edit by pushing its ops at once;
 * nothing is written to the device file. An edit the server does not store
 * throws `offline` or `refused` and changed nothing.
 *
 * Its pushes use the device's own id and its persisted Lamport clock (ticked
 * in a store transaction before each push): one clock per device id (R40),
 * so a Server-connected push and a later Hybrid op never reuse a
 * `lamport_ts`, and the server's strict per-device increase (R13) holds.
 * The sync client is stopped meanwhile, so nothing else ticks the clock.
 */
export class ServerRepository implements PlaylistRepository {
  readonly mode = "server" as const;
  /** The live view of the server's state. */
  readonly watch: ServerStateWatch;
  readonly #device: PlaylistDevice;
  readonly #context: EditContext;
  readonly #reflectTimeoutMs: number;

  constructor(device: PlaylistDevice, options: ServerRepositoryOptions = {}) {
    this.#device = device;
    this.#context = { suffix: device.suffix, newId: randomUUID };
    this.#reflectTimeoutMs = options.reflectTimeoutMs ?? 3000;
    const viewId = uuidv7();
    this.watch = watchServerState({
      transport: device.transport,
      credentials: async () => ({ token: await device.accessToken(), deviceId: viewId }),
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    });
  }

  /**
   * Resolves once the view is live; rejects with `offline` (or `refused`, for
   * a refused token) as soon as it cannot load, or after `timeoutMs`.
   */
  ready(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const { status, lastError } = this.watch;
        if (status === "loading") return false;
        if (status === "live") resolve();
        else {
          const reason = lastError?.message ?? status;
          reject(
            new PlaylistEditError(
              status === "error" ? "refused" : "offline",
              `The server cannot be reached: ${reason}`,
            ),
          );
        }
        return true;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new PlaylistEditError("offline", "The server did not answer in time."));
      }, timeoutMs);
      const unsubscribe = this.watch.subscribe(() => {
        if (!check()) return;
        clearTimeout(timer);
        unsubscribe();
      });
    });
  }

  async list(): Promise<PlaylistView[]> {
    return playlistViewsOfState(this.watch.state());
  }

  async get(id: string): Promise<PlaylistView | undefined> {
    return (await this.list()).find((playlist) => playlist.id === id);
  }

  async create(name: string): Promise<PlaylistView> {
    const id = randomUUID();
    return (await this.#edit(id, () => createPlaylistChanges(id, name)))!;
  }

  async rename(id: string, name: string): Promise<PlaylistView> {
    return (await this.#edit(id, (current) => renameChanges(current, id, name)))!;
  }

  async addTrack(id: string, track: string, index?: number): Promise<PlaylistView> {
    return (await this.#edit(id, (current) =>
      addTrackChanges(current, id, track, index, this.#context),
    ))!;
  }

  async removeEntry(id: string, entryId: string): Promise<PlaylistView> {
    return (await this.#edit(id, (current) => removeEntryChanges(current, id, entryId)))!;
  }

  async moveEntry(id: string, entryId: string, index: number): Promise<PlaylistView> {
    return (await this.#edit(id, (current) =>
      moveEntryChanges(current, id, entryId, index, this.#context),
    ))!;
  }

  async remove(id: string): Promise<void> {
    await this.#edit(id, (current) => deletePlaylistChanges(current, id));
  }

  onChange(listener: () => void): () => void {
    return this.watch.subscribe(listener);
  }

  /** Closes the live view. */
  close(): void {
    this.watch.close();
  }

  /** Plans the edit on the server's state, pushes it, waits (bounded) for the view to show it. */
  async #edit(
    id: string,
    plan: (current: PlaylistView | undefined) => EntityChange[],
  ): Promise<PlaylistView | undefined> {
    const current = playlistViewsOfState(this.watch.state()).find((each) => each.id === id);
    const changes = plan(current);
    // A playlist delete leads its batch, so a later batch failing leaves only hidden entries.
    for (let i = 0; i < changes.length; i += MAX_PUSH_OPS) {
      await this.#push(changes.slice(i, i + MAX_PUSH_OPS));
    }
    await this.#reflected(changes);
    const after = playlistViewsOfState(withChanges(this.watch.state(), changes));
    return after.find((each) => each.id === id);
  }

  /** Stamps and pushes one batch; restamps after `lamport_conflict` (R47). @throws PlaylistEditError */
  async #push(changes: readonly EntityChange[]): Promise<void> {
    const operationIds = changes.map(() => uuidv7());
    let floor = 0;
    for (let attempt = 0; ; attempt += 1) {
      const ops = this.#stamp(changes, operationIds, floor);
      const result = await this.#device.transport.push(ops, {
        token: await this.#device.accessToken(),
        deviceId: this.#device.client.deviceId,
      });
      if (result.ok) return;
      const { failure } = result;
      if (
        failure.type === "http" &&
        failure.body?.type === "lamport_conflict" &&
        attempt < MAX_RESTAMPS
      ) {
        floor = failure.body.max_lamport_ts;
        continue;
      }
      throw editErrorOf(failure);
    }
  }

  /** The ops of `changes`, stamped from the device's clock (raised to `floor` first) in one store transaction. */
  #stamp(changes: readonly EntityChange[], operationIds: readonly string[], floor: number): Op[] {
    return this.#device.store.transaction((tx) => {
      let clock = Math.max(tx.lamport(), floor);
      const ops = changes.map((change, i) => {
        clock = tickLocal(clock);
        return OpSchema.parse({
          operation_id: operationIds[i],
          lamport_ts: clock,
          entity_type: change.entityType,
          entity_id: change.entityId,
          ...(change.op === "upsert"
            ? { op: "upsert", field: change.field, value: change.value }
            : { op: "delete", field: null, value: null }),
        });
      });
      tx.setLamport(clock);
      return ops;
    });
  }

  /** Waits until the live view shows `changes`, at most `reflectTimeoutMs`. */
  #reflected(changes: readonly EntityChange[]): Promise<void> {
    if (shows(this.watch.state(), changes)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      };
      const timer = setTimeout(done, this.#reflectTimeoutMs);
      const unsubscribe = this.watch.subscribe(() => {
        if (shows(this.watch.state(), changes)) done();
      });
    });
  }
}
