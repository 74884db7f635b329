import { createTestDatabase } from "@syncline/testkit";
import pg from "pg";
import { afterAll } from "vitest";
import { migratePgStore } from "./migrate.js";
import { PgSyncStore } from "./store.js";

export { pullAll, remove, upsert, uuid } from "@syncline/server-core/conformance";

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

/** Every row of a user (ops, cursors, watermark, retired ops), exactly as stored. */
export async function snapshotUser(
  pool: pg.Pool,
  userId: string,
): Promise<{ ops: unknown[]; cursors: unknown[]; watermark: unknown[]; retired: unknown[] }> {
  const [ops, cursors, watermark, retired] = await Promise.all([
    pool.query("SELECT * FROM sync_op WHERE user_id = $1 ORDER BY id", [userId]),
    pool.query("SELECT * FROM device_sync_cursor WHERE user_id = $1 ORDER BY device_id", [userId]),
    pool.query("SELECT * FROM sync_compaction_watermark WHERE user_id = $1", [userId]),
    pool.query("SELECT * FROM sync_op_retired WHERE user_id = $1 ORDER BY id", [userId]),
  ]);
  return {
    ops: ops.rows,
    cursors: cursors.rows,
    watermark: watermark.rows,
    retired: retired.rows,
  };
}

/** Shared buffers a statement touched (hits and reads), from EXPLAIN (ANALYZE, BUFFERS). */
export async function buffersOf(pool: pg.Pool, sql: string, params: unknown[]): Promise<number> {
  const { rows } = await pool.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, params);
  const plan = rows[0]["QUERY PLAN"][0];
  return plan.Plan["Shared Hit Blocks"] + plan.Plan["Shared Read Blocks"];
}

/**
 * Stores `count` upserts of one device of `userId` in one INSERT (Lamport
 * timestamps 1..count), past every check: a large log, made fast.
 */
export async function insertUpserts(
  pool: pg.Pool,
  userId: string,
  deviceId: string,
  count: number,
): Promise<void> {
  await pool.query(
    `INSERT INTO sync_op (user_id, device_id, operation_id, entity_type, entity_id, op, field, value, lamport_ts)
     SELECT $1, $2, gen_random_uuid(), 'track', 't' || n, 'upsert', 'title', to_jsonb(n), n
     FROM generate_series(1, $3::int) AS n`,
    [userId, deviceId, count],
  );
}
