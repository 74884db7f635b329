import { PushRequestSchema, type PushResponse } from "@syncline/protocol";
import type { Hub, SyncObserver, SyncStore } from "@syncline/server-core";
import type { Handler } from "hono";
import { parseBody } from "./body.js";
import type { SyncEnv } from "./context.js";

/** `POST /sync/ops`: store a batch, fan its new ops out, answer the stored rows. */
export function pushRoute(store: SyncStore, hub: Hub, observer: SyncObserver): Handler<SyncEnv> {
  return async (c) => {
    const { userId, deviceId } = c.var.auth;
    const { ops } = await parseBody(c, PushRequestSchema);
    const { ops: stored, headBefore } = await store.pushWithHead(userId, deviceId, ops);
    const duplicates = stored.reduce((count, op) => count + (op.duplicate ? 1 : 0), 0);
    observer.pushed?.(userId, stored.length - duplicates, duplicates);
    hub.pushed(userId, headBefore, stored);
    return c.json({ ops: stored } satisfies PushResponse);
  };
}
