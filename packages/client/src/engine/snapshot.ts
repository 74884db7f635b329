import { DEFAULT_SNAPSHOT_LIMIT, type SnapshotResponse } from "@syncline/protocol";
import { readSnapshot, type SnapshotPagePosition, type SnapshotReadEnd } from "../page-reads.js";
import { isMissingRoute } from "../transport.js";
import type { EngineContext } from "./context.js";

/**
 * The snapshot part of the inbound queue (C13): it loads the server state
 * from `GET /sync/snapshot` page by page when the device starts from 0 (a
 * first sync, or a reset). The first page's transaction wipes the op-derived
 * state (the queue stays); each page commits in its own transaction with the
 * cursor left at 0, so a crash or a failure mid-read leaves a device that
 * loads the snapshot again, with a wipe; the last page's transaction sets the
 * cursor to `as_of` and runs `onApply` once, with `reset` and no ops. A
 * server that answers 404 predates the route: it is not asked again.
 */
export class SnapshotLoader<Db> {
  readonly #ctx: EngineContext<Db>;
  /** The server answered 404: it has no snapshot route (C13). */
  #missing = false;

  constructor(ctx: EngineContext<Db>) {
    this.#ctx = ctx;
  }

  /**
   * Loads the snapshot into the store, in the calling inbound task.
   * @param progress told each page after it is loaded (to report progress, C14)
   * @returns how the read ended (`done` with its `as_of`), or `"missing"` when the server has no snapshot route
   */
  async load(
    progress: (page: SnapshotResponse, position: SnapshotPagePosition) => void,
  ): Promise<SnapshotReadEnd | "missing"> {
    if (this.#missing) return "missing";
    const ctx = this.#ctx;
    const end = await readSnapshot(
      (query) => ctx.requests.call((c) => ctx.transport.snapshot(query, c)),
      { limit: ctx.options.snapshotLimit ?? DEFAULT_SNAPSHOT_LIMIT },
      (page, position) => {
        const { first, last } = position;
        ctx.connection.answered();
        ctx.store.transaction((tx) => {
          if (first) tx.wipe();
          tx.loadSnapshot(page.entities);
          if (!last) return;
          tx.setCursor(page.as_of);
          ctx.inbound.applyToState(tx, [], true);
        });
        progress(page, position);
      },
      () => ctx.running,
    );
    if (end.kind === "failed" && isMissingRoute(end.failure)) {
      this.#missing = true;
      return "missing";
    }
    if (end.kind === "done" && end.asOf > 0) ctx.acks.schedule();
    return end;
  }
}
