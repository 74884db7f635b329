import type { PullResponse, StoredOp } from "@syncline/protocol";

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
}

/** Encodes a page of op objects (for stores that hold objects). */
export function encodePullPage(page: PullResponse): EncodedPullPage {
  return { ops: JSON.stringify(page.ops), count: page.ops.length, has_more: page.has_more };
}

/** Decodes an encoded page back into op objects. */
export function decodePullPage(page: EncodedPullPage): PullResponse {
  return { ops: JSON.parse(page.ops) as StoredOp[], has_more: page.has_more };
}

/** The body of `GET /sync/ops` for an encoded page: `{"ops":[…],"has_more":…}`. */
export function pullResponseBody(page: EncodedPullPage): string {
  return `{"ops":${page.ops},"has_more":${page.has_more}}`;
}
