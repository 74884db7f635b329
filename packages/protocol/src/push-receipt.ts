import { z } from "zod";
import type { Op } from "./op.js";
import { StoredLamportTsSchema } from "./op.js";
import type { PushedOp } from "./push.js";
import { OpIdSchema, WallClockSchema } from "./stored-op.js";

/** An op of a push that was a duplicate (R14): what it was stored with the first time. */
export const ReceiptDuplicateSchema = z.object({
  /** Its position in the request. */
  index: z.number().int().min(0),
  /** The `lamport_ts` it was first stored with (a retry may carry another). */
  lamport_ts: StoredLamportTsSchema,
  /** The `wall_clock` of its first insert. */
  wall_clock: WallClockSchema,
});
export type ReceiptDuplicate = z.infer<typeof ReceiptDuplicateSchema>;

/**
 * 200 response of `POST /sync/ops` to a push that asked for `"answer":
 * "receipt"` (R76): the push response without what the device sent. Entry
 * `i` of `ids` is the `id` of request op `i`. Every op not listed in
 * `duplicates` was stored now, as sent, at `wall_clock`; a duplicate's
 * content is the one sent (R15 refuses any other).
 */
export const PushReceiptSchema = z.object({
  ids: z.array(OpIdSchema),
  wall_clock: WallClockSchema,
  duplicates: z.array(ReceiptDuplicateSchema),
});
export type PushReceipt = z.infer<typeof PushReceiptSchema>;

/**
 * The receipt of a push (server side): `sent` as the request carried it,
 * `stored` as the store answered it, in request order.
 * @returns `undefined` when a receipt cannot say it exactly (the new ops do
 * not share one `wall_clock`, or one was stored with a `lamport_ts` other
 * than the one sent); the server then answers with `stored` in full
 */
export function pushReceiptOf(
  sent: readonly Op[],
  stored: readonly PushedOp[],
): PushReceipt | undefined {
  if (stored.length !== sent.length || stored.length === 0) return undefined;
  const wallClock = (stored.find((op) => !op.duplicate) ?? stored[0]!).wall_clock;
  const ids: number[] = new Array(stored.length);
  const duplicates: ReceiptDuplicate[] = [];
  for (let index = 0; index < stored.length; index++) {
    const op = stored[index]!;
    ids[index] = op.id;
    if (op.duplicate) {
      duplicates.push({ index, lamport_ts: op.lamport_ts, wall_clock: op.wall_clock });
    } else if (op.wall_clock !== wallClock || op.lamport_ts !== sent[index]!.lamport_ts) {
      return undefined;
    }
  }
  return { ids, wall_clock: wallClock, duplicates };
}

/**
 * The stored rows a receipt stands for (client side): each op of `sent`
 * with its `id`, the pushing `deviceId` and its clock.
 * @returns `undefined` when the receipt does not fit the batch (another
 * number of ids, a duplicate index out of range or listed twice)
 */
export function opsOfPushReceipt(
  sent: readonly Op[],
  deviceId: string,
  receipt: PushReceipt,
): PushedOp[] | undefined {
  if (receipt.ids.length !== sent.length) return undefined;
  const duplicates = new Map<number, ReceiptDuplicate>();
  for (const duplicate of receipt.duplicates) {
    if (duplicate.index >= sent.length || duplicates.has(duplicate.index)) return undefined;
    duplicates.set(duplicate.index, duplicate);
  }
  return sent.map((op, index) => {
    const duplicate = duplicates.get(index);
    return {
      ...op,
      id: receipt.ids[index]!,
      device_id: deviceId,
      lamport_ts: duplicate?.lamport_ts ?? op.lamport_ts,
      wall_clock: duplicate?.wall_clock ?? receipt.wall_clock,
      duplicate: duplicate !== undefined,
    };
  });
}
