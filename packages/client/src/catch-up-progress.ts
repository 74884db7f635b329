import type { PullResponse, SnapshotResponse } from "@syncline/protocol";
import type { SnapshotPagePosition } from "./page-reads.js";

/**
 * How far a running catch-up has got (C14), as `SyncStatus.catchUp` gives it
 * while a catch-up needs more than one page:
 * - `snapshot`: loading the server's state (C13); a snapshot has no known
 *   size, so only the fields loaded so far are known.
 * - `pull`: pulling ops after `since`; `reached` is the last id applied and
 *   `head` the user's head as the latest page said (R75), or null when the
 *   server does not send it.
 */
export type CatchUpProgress =
  | { readonly phase: "snapshot"; readonly fieldsLoaded: number }
  | {
      readonly phase: "pull";
      readonly since: number;
      readonly reached: number;
      readonly head: number | null;
    };

/**
 * The part (0..1) of a catch-up done, by the id range it has covered (R75),
 * or null when it has no known end (a snapshot read, or a server without
 * `head`). A fraction of ids, not of ops: ids have gaps.
 */
export function catchUpFraction(progress: CatchUpProgress): number | null {
  if (progress.phase !== "pull" || progress.head === null) return null;
  const range = progress.head - progress.since;
  if (range <= 0) return 1;
  return Math.min(1, Math.max(0, (progress.reached - progress.since) / range));
}

/**
 * The `take` of a paged pull from `since` that reports its progress: nothing
 * for a pull of one page; from the first page that says `has_more`, after
 * each page, to the end (C14).
 */
export function reportingPullProgress(
  since: number,
  report: (progress: CatchUpProgress) => void,
): (page: PullResponse) => void {
  let reporting = false;
  return ({ ops, has_more, head }) => {
    reporting ||= has_more;
    if (!reporting) return;
    report({ phase: "pull", since, reached: ops.at(-1)?.id ?? since, head: head ?? null });
  };
}

/**
 * The `take` of a snapshot read that reports the fields loaded after each
 * page but the last (C14); the pull after it reports its own.
 */
export function reportingSnapshotProgress(
  report: (progress: CatchUpProgress) => void,
): (page: SnapshotResponse, position: SnapshotPagePosition) => void {
  let fieldsLoaded = 0;
  return (page, { last }) => {
    if (last) return;
    for (const entity of page.entities) fieldsLoaded += entity.fields.length;
    report({ phase: "snapshot", fieldsLoaded });
  };
}
