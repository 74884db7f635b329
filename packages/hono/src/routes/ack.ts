import { AckRequestSchema, type AckResponse } from "@syncline/protocol";
import { type AckBuffer, recordAck, type SyncStore } from "@syncline/server-core";
import type { Handler } from "hono";
import { parseBody } from "./body.js";
import type { SyncEnv } from "./context.js";

/** `POST /sync/ack`: the only path (with the socket's `{ ack }`) that advances a cursor. */
export function ackRoute(store: SyncStore, acks: AckBuffer): Handler<SyncEnv> {
  return async (c) => {
    const { userId, deviceId } = c.var.auth;
    const { last_seen_id } = await parseBody(c, AckRequestSchema);
    const cursor = await recordAck(store, acks, userId, deviceId, last_seen_id);
    return c.json({ last_seen_id: cursor } satisfies AckResponse);
  };
}
