import { SnapshotQuerySchema } from "@syncline/protocol";
import type { SyncStore } from "@syncline/server-core";
import type { Handler } from "hono";
import { invalidRequestError } from "../errors.js";
import type { SyncEnv } from "./context.js";

/**
 * `GET /sync/snapshot?limit=M&entity_type=T&cursor=C`: a page of the user's
 * current state (R72–R74). Never writes.
 */
export function snapshotRoute(store: SyncStore): Handler<SyncEnv> {
  return async (c) => {
    const parsed = SnapshotQuerySchema.safeParse(c.req.query());
    if (!parsed.success) throw invalidRequestError(parsed.error, "query", 400);
    const { limit, entity_type, cursor } = parsed.data;
    const page = await store.snapshot(c.var.auth.userId, {
      limit,
      entityType: entity_type,
      cursor,
    });
    return c.json(page, 200);
  };
}
