import { AckRequestSchema, type AckResponse, SyncError } from "@syncline/protocol";
import type { Handler } from "hono";
import type { AckBuffer } from "../ack-buffer.js";
import type { SyncStore } from "../store.js";
import { parseBody } from "./body.js";
import type { SyncEnv } from "./context.js";

/**
 * Checks an ACK against the user's head and records it in the buffer.
 * @returns the device's cursor now recorded (buffered or stored, the higher)
 * @throws SyncError `invalid_request` (422) for an id above the user's highest op id
 */
export async function recordAck(
  store: SyncStore,
  acks: AckBuffer,
  userId: string,
  deviceId: string,
  lastSeenId: number,
): Promise<number> {
  const [head, stored] = await Promise.all([store.headId(userId), store.cursor(userId, deviceId)]);
  if (lastSeenId > head) {
    throw new SyncError({
      type: "invalid_request",
      message: `last_seen_id ${lastSeenId} is above the highest op id ${head}`,
      issues: [{ path: ["last_seen_id"], message: `must be at most ${head}`, code: "too_big" }],
    });
  }
  return Math.max(stored, acks.record(userId, deviceId, lastSeenId).lastSeenId);
}

/** `POST /sync/ack`: the only path (with the socket's `{ ack }`) that advances a cursor. */
export function ackRoute(store: SyncStore, acks: AckBuffer): Handler<SyncEnv> {
  return async (c) => {
    const { userId, deviceId } = c.var.auth;
    const { last_seen_id } = await parseBody(c, AckRequestSchema);
    const cursor = await recordAck(store, acks, userId, deviceId, last_seen_id);
    return c.json({ last_seen_id: cursor } satisfies AckResponse);
  };
}
