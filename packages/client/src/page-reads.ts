import type { PullResponse, SnapshotResponse } from "@syncline/protocol";
import type {
  PullRequest,
  SnapshotRequest,
  TransportFailure,
  TransportResult,
} from "./transport.js";

/**
 * How a paged read ended: at its end, stopped by its caller, or on a failure
 * (a request's, or a page that broke the paging rules, as a `protocol` failure).
 */
export type PageReadEnd =
  | { readonly kind: "done" }
  | { readonly kind: "stopped" }
  | { readonly kind: "failed"; readonly failure: TransportFailure };

/** How a snapshot read ended; at its end, with the `as_of` of its pages. */
export type SnapshotReadEnd =
  | { readonly kind: "done"; readonly asOf: number }
  | Exclude<PageReadEnd, { readonly kind: "done" }>;

/** Where a paged pull starts and how it asks. */
export interface PullPagesQuery {
  /** Ops after this id. */
  readonly since: number;
  /** `limit` of each page. */
  readonly limit: number;
  /**
   * Every page says `resync`: the pull continues a snapshot (R74). Otherwise
   * only the pages after the first of a pull from 0 do (R22).
   */
  readonly resync: boolean;
}

/** What a snapshot read asks for on each page. */
export interface SnapshotPagesQuery {
  /** `limit` (fields) of each page. */
  readonly limit: number;
  /** Only entities of this type. */
  readonly entityType?: string;
}

/** Where a snapshot page lies in its read. */
export interface SnapshotPagePosition {
  /** The read's first page (wipe before it). */
  readonly first: boolean;
  /** The read's last page (`next_cursor` is null). */
  readonly last: boolean;
}

const STOPPED = { kind: "stopped" } as const;

function broken(message: string): PageReadEnd & SnapshotReadEnd {
  return { kind: "failed", failure: { type: "protocol", message } };
}

/**
 * Pulls pages from `since` until `has_more` is false (R20), handing each
 * page to `take`; the next page starts after the last id of the one
 * before, never at `since + limit`. A page that says `has_more` without
 * moving on ends the read as a `protocol` failure.
 * @param send sends one pull (e.g. through the engine's token refresh)
 * @param proceed asked before each page; false stops the read
 */
export async function pullPages(
  send: (query: PullRequest) => Promise<TransportResult<PullResponse>>,
  query: PullPagesQuery,
  take: (page: PullResponse) => void,
  proceed: () => boolean,
): Promise<PageReadEnd> {
  const { since, limit } = query;
  for (let from = since; ; ) {
    if (!proceed()) return STOPPED;
    const result = await send({
      since: from,
      limit,
      resync: query.resync || (since === 0 && from > 0),
    });
    if (!result.ok) return { kind: "failed", failure: result.failure };
    const { ops, has_more } = result.value;
    take(result.value);
    if (!has_more) return { kind: "done" };
    const last = ops.at(-1)?.id ?? 0;
    if (last <= from) return broken("pull said has_more without returning ops");
    from = last;
  }
}

/**
 * Reads a snapshot page by page (R72): each page's `next_cursor` asks for the
 * next, until it is null; `take` gets each page and where it lies. Every page
 * must carry the first page's `as_of` and a cursor other than the one that
 * asked for it; otherwise the read ends as a `protocol` failure.
 * @param send sends one snapshot request (e.g. through the engine's token refresh)
 * @param proceed asked before each page; false stops the read
 */
export async function readSnapshot(
  send: (query: SnapshotRequest) => Promise<TransportResult<SnapshotResponse>>,
  query: SnapshotPagesQuery,
  take: (page: SnapshotResponse, position: SnapshotPagePosition) => void,
  proceed: () => boolean,
): Promise<SnapshotReadEnd> {
  let asOf: number | undefined;
  let cursor: string | undefined;
  for (;;) {
    if (!proceed()) return STOPPED;
    const result = await send({ ...query, ...(cursor === undefined ? {} : { cursor }) });
    if (!result.ok) return { kind: "failed", failure: result.failure };
    const page = result.value;
    if (asOf !== undefined && page.as_of !== asOf) {
      return broken(`snapshot page as_of ${page.as_of} differs from the read's ${asOf}`);
    }
    if (page.next_cursor !== null && page.next_cursor === cursor) {
      return broken("snapshot page returned the cursor that asked for it");
    }
    take(page, { first: asOf === undefined, last: page.next_cursor === null });
    asOf = page.as_of;
    if (page.next_cursor === null) return { kind: "done", asOf };
    cursor = page.next_cursor;
  }
}
