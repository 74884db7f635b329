import { PullQuerySchema } from "@syncline/protocol";
import { pullResponseBody, type SyncObserver, type SyncStore } from "@syncline/server-core";
import type { Handler } from "hono";
import { invalidRequestError } from "../errors.js";
import type { SyncEnv } from "./context.js";

/** `GET /sync/ops?since=N&limit=M`: a page of the user's log. Never writes a cursor. */
export function pullRoute(store: SyncStore, observer: SyncObserver): Handler<SyncEnv> {
  return async (c) => {
    const parsed = PullQuerySchema.safeParse(c.req.query());
    if (!parsed.success) throw invalidRequestError(parsed.error, "query", 400);
    const page = await store.pullEncoded(c.var.auth.userId, parsed.data);
    observer.pulled?.(c.var.auth.userId, page.count);
    return c.body(pullResponseBody(page), 200, { "content-type": "application/json" });
  };
}
