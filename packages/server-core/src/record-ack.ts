import type { AckBuffer } from "./ack-buffer.js";
import type { SyncStore } from "./store.js";
import { ackAboveHead } from "./store-errors.js";

/**
 * Checks an ACK against the user's head when it arrives (R27, R53) and
 * records it in the buffer; the one path of `POST /sync/ack` and the `{ ack }`
 * frame alike.
 * @returns the device's cursor now recorded: buffered or stored, the higher (R26)
 * @throws SyncError `invalid_request` (422) for an id above the user's highest op id
 */
export async function recordAck(
  store: Pick<SyncStore, "ackBounds">,
  acks: AckBuffer,
  userId: string,
  deviceId: string,
  lastSeenId: number,
): Promise<number> {
  const { head, cursor } = await store.ackBounds(userId, deviceId);
  if (lastSeenId > head) throw ackAboveHead(lastSeenId, head);
  return Math.max(cursor, acks.record(userId, deviceId, lastSeenId).lastSeenId);
}
