import { PushRequestSchema, type PushResponse } from "@syncline/protocol";
import type { Hub, SyncObserver, SyncStore } from "@syncline/server-core";
import type { Handler } from "hono";
import { parseBody } from "./body.js";
import type { SyncEnv } from "./context.js";

/** `POST /sync/ops`: store a batch, answer the stored rows, then fan out. */
export function pushRoute(store: SyncStore, hub: Hub, observer: SyncObserver): Handler<SyncEnv> {
  return async (c) => {
    const { userId, deviceId } = c.var.auth;
    const { ops } = await parseBody(c, PushRequestSchema);
    const stored = await store.push(userId, deviceId, ops);
    const inserted = stored.filter((op) => !op.duplicate);
    observer.pushed?.(userId, inserted.length, stored.length - inserted.length);
    if (inserted.length > 0) hub.notify(userId, Math.max(...inserted.map((op) => op.id)));
    return c.json({ ops: stored } satisfies PushResponse);
  };
}
