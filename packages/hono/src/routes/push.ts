import {
  type PushReceipt,
  PushRequestSchema,
  type PushResponse,
  pushReceiptOf,
} from "@syncline/protocol";
import type { Hub, SyncObserver, SyncStore } from "@syncline/server-core";
import type { Handler } from "hono";
import { parseBody } from "./body.js";
import type { SyncEnv } from "./context.js";

/**
 * `POST /sync/ops`: store a batch, fan its new ops out, answer the stored
 * rows, or their receipt when the push asks for one (R76) and the rows
 * allow it.
 */
export function pushRoute(store: SyncStore, hub: Hub, observer: SyncObserver): Handler<SyncEnv> {
  return async (c) => {
    const { userId, deviceId } = c.var.auth;
    const { ops, answer } = await parseBody(c, PushRequestSchema);
    const { ops: stored, headBefore } = await store.pushWithHead(userId, deviceId, ops);
    const duplicates = stored.reduce((count, op) => count + (op.duplicate ? 1 : 0), 0);
    observer.pushed?.(userId, stored.length - duplicates, duplicates);
    hub.pushed(userId, headBefore, stored);
    const receipt = answer === "receipt" ? pushReceiptOf(ops, stored) : undefined;
    return c.json((receipt ?? { ops: stored }) satisfies PushReceipt | PushResponse);
  };
}
