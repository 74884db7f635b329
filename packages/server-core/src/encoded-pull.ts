import type { PullResponse, StoredOp } from "@syncline/protocol";

/** A pull page as a store returns it: the wire's response, always with its head (R75). */
export type StorePullPage = PullResponse & { readonly head: number };

/**
 * A pull page already encoded as the wire's JSON, so a route sends it and a
 * hub frames it without serializing an op (a store that can build the JSON
 * itself, as PostgreSQL can, never makes a JS object per row).
 */
export interface EncodedPullPage {
  /** The page's ops as the text of a JSON array of stored ops, ascending by id. */
  readonly ops: string;
  /** How many ops `ops` holds. */
  readonly count: number;
  /** Whether more ops follow (R20). */
  readonly has_more: boolean;
  /** The user's highest op id when the page was read (R75). */
  readonly head: number;
}

/** Encodes a page of op objects (for stores that hold objects). */
export function encodePullPage(page: StorePullPage): EncodedPullPage {
  return {
    ops: JSON.stringify(page.ops),
    count: page.ops.length,
    has_more: page.has_more,
    head: page.head,
  };
}

/** Decodes an encoded page back into op objects. */
export function decodePullPage(page: EncodedPullPage): StorePullPage {
  return { ops: JSON.parse(page.ops) as StoredOp[], has_more: page.has_more, head: page.head };
}

/** The body of `GET /sync/ops` for an encoded page: `{"ops":[…],"has_more":…,"head":…}`. */
export function pullResponseBody(page: EncodedPullPage): string {
  return `{"ops":${page.ops},"has_more":${page.has_more},"head":${page.head}}`;
}
