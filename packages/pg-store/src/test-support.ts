import { randomUUID } from "node:crypto";
import type { DeleteOp, JsonValue, StoredOp, UpsertOp } from "@syncline/protocol";
import { createTestDatabase } from "@syncline/testkit";
import pg from "pg";
import { afterAll } from "vitest";
import { migratePgStore } from "./migrate.js";
import { PgSyncStore } from "./store.js";

/** A migrated fresh database for the calling test file, with a pool and a store over it. */
export interface TestStore {
  readonly url: string;
  readonly pool: pg.Pool;
  readonly store: PgSyncStore;
}

/**
 * Creates the file's database, migrates it and opens a pool (closed after the
 * file's tests). Call from `beforeAll` of a `*.pg.test.ts` file.
 */
export async function openTestStore(): Promise<TestStore> {
  const { url } = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: url, max: 20 });
  await migratePgStore(pool);
  const store = new PgSyncStore({ pool });
  afterAll(async () => {
    await store.close();
    await pool.end();
  });
  return { url, pool, store };
}

/** A fresh random UUID (a user, device or operation id). */
export const uuid = (): string => randomUUID();

/** An upsert of `entityType`/`entityId`.`field`. */
export function upsert(
  lamportTs: number,
  entityId: string,
  field: string,
  value: JsonValue,
  entityType = "playlist",
  operationId = uuid(),
): UpsertOp {
  return {
    operation_id: operationId,
    lamport_ts: lamportTs,
    entity_type: entityType,
    entity_id: entityId,
    op: "upsert",
    field,
    value,
  };
}

/** A delete (tombstone) of `entityType`/`entityId`. */
export function remove(
  lamportTs: number,
  entityId: string,
  entityType = "playlist",
  operationId = uuid(),
): DeleteOp {
  return {
    operation_id: operationId,
    lamport_ts: lamportTs,
    entity_type: entityType,
    entity_id: entityId,
    op: "delete",
    field: null,
    value: null,
  };
}

/**
 * The user's whole log, paged through {@link PgSyncStore.pull} from 0 as a
 * device's (re)sync does: later pages continue the read (`resync`).
 */
export async function pullAll(
  store: PgSyncStore,
  userId: string,
  limit = 1000,
): Promise<StoredOp[]> {
  const ops: StoredOp[] = [];
  let since = 0;
  for (;;) {
    const page = await store.pull(userId, { since, limit, resync: true });
    ops.push(...page.ops);
    if (!page.has_more) return ops;
    since = page.ops.at(-1)!.id;
  }
}

/** Every `sync_op` row and the watermark of a user, exactly as stored. */
export async function snapshotUser(
  pool: pg.Pool,
  userId: string,
): Promise<{ ops: unknown[]; cursors: unknown[]; watermark: unknown[] }> {
  const [ops, cursors, watermark] = await Promise.all([
    pool.query("SELECT * FROM sync_op WHERE user_id = $1 ORDER BY id", [userId]),
    pool.query("SELECT * FROM device_sync_cursor WHERE user_id = $1 ORDER BY device_id", [userId]),
    pool.query("SELECT * FROM sync_compaction_watermark WHERE user_id = $1", [userId]),
  ]);
  return { ops: ops.rows, cursors: cursors.rows, watermark: watermark.rows };
}
