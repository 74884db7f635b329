import { jsonByteLength, MAX_BODY_BYTES, MAX_PUSH_OPS } from "@syncline/protocol";
import type { PendingOp } from "./store.js";

/** Bytes of `{"ops":[]}`, the push body around its ops. */
const ENVELOPE_BYTES = jsonByteLength({ ops: [] });

/**
 * The longest prefix of the queue that one `POST /sync/ops` may carry: at
 * most `maxOps` (and never more than `MAX_PUSH_OPS`) ops, and a JSON body of
 * at most `maxBytes`. Always at least one op when the queue is not empty.
 * @param maxBytes @default MAX_BODY_BYTES
 */
export function takeBatch(
  queue: readonly PendingOp[],
  maxOps: number,
  maxBytes: number = MAX_BODY_BYTES,
): PendingOp[] {
  const batch: PendingOp[] = [];
  let bytes = ENVELOPE_BYTES;
  for (const pending of queue) {
    if (batch.length >= Math.min(maxOps, MAX_PUSH_OPS)) break;
    const size = jsonByteLength(pending.op) + (batch.length > 0 ? 1 : 0);
    if (batch.length > 0 && bytes + size > maxBytes) break;
    batch.push(pending);
    bytes += size;
  }
  return batch;
}
