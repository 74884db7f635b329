import { createTestDatabase } from "@syncline/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migratePgStore } from "./migrate.js";
import { PG_STORE_MIGRATIONS } from "./migrations/all.js";

const pools: pg.Pool[] = [];
afterAll(() => Promise.all(pools.map((pool) => pool.end())));

async function freshPool(): Promise<pg.Pool> {
  const { url } = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: url });
  pools.push(pool);
  return pool;
}

async function tables(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ tablename: string }>(
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
  );
  return rows.map((row) => row.tablename);
}

async function recorded(pool: pg.Pool): Promise<number[]> {
  const { rows } = await pool.query<{ version: number }>(
    "SELECT version FROM syncline_migration ORDER BY version",
  );
  return rows.map((row) => row.version);
}

const ALL_VERSIONS = PG_STORE_MIGRATIONS.map((migration) => migration.version);
const SCHEMA = [
  "device_sync_cursor",
  "sync_compaction_watermark",
  "sync_op",
  "sync_op_retired",
  "syncline_migration",
];

describe("migrate", () => {
  let sequential: pg.Pool;
  let concurrent: pg.Pool[];
  let failing: pg.Pool;
  beforeAll(async () => {
    sequential = await freshPool();
    const shared = await createTestDatabase();
    concurrent = Array.from({ length: 4 }, () => new pg.Pool({ connectionString: shared.url }));
    pools.push(...concurrent);
    failing = await freshPool();
  });

  it("creates the schema, records every version, and is a no-op the second time", async () => {
    expect(await migratePgStore(sequential)).toEqual({ applied: ALL_VERSIONS });
    expect(await tables(sequential)).toEqual(SCHEMA);
    expect(await migratePgStore(sequential)).toEqual({ applied: [] });
    expect(await recorded(sequential)).toEqual(ALL_VERSIONS);
  });

  it("creates the indexes the queries rely on", async () => {
    const { rows } = await sequential.query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'",
    );
    const definitions = rows.map((row) => row.indexdef.replace(/^.* USING btree /, ""));
    expect(definitions).toEqual(
      expect.arrayContaining([
        "(user_id, id)",
        "(user_id, device_id, operation_id)",
        "(user_id, device_id, lamport_ts)",
        "(user_id, device_id)",
        "(user_id, last_seen_at, last_seen_id)",
        "(user_id)",
      ]),
    );
  });

  it("applies each migration exactly once when several processes start at once", async () => {
    const results = await Promise.all(concurrent.map((pool) => migratePgStore(pool)));
    const applied = results.map((result) => result.applied);
    expect(applied.filter((versions) => versions.length > 0)).toEqual([ALL_VERSIONS]);
    expect(await recorded(concurrent[0]!)).toEqual(ALL_VERSIONS);
    expect(await tables(concurrent[0]!)).toEqual(SCHEMA);
  });

  it("rolls a failing migration back, leaves it unrecorded, and applies it on a later run", async () => {
    const broken = {
      version: 99,
      name: "broken",
      sql: "CREATE TABLE half_done (id INT); SELECT 1 / 0;",
    };
    await expect(migratePgStore(failing, [...PG_STORE_MIGRATIONS, broken])).rejects.toThrow(
      /division by zero/,
    );
    expect(await recorded(failing)).toEqual(ALL_VERSIONS);
    expect(await tables(failing)).toEqual(SCHEMA);

    const fixed = { ...broken, sql: "CREATE TABLE half_done (id INT);" };
    expect(await migratePgStore(failing, [...PG_STORE_MIGRATIONS, fixed])).toEqual({
      applied: [99],
    });
    expect(await recorded(failing)).toEqual([...ALL_VERSIONS, 99]);
  });
});
