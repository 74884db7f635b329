/**
 * Pushes 100k ops in batches of 500 through PgSyncStore.push, compacts them,
 * and inserts the same rows with raw multi-row INSERTs into an identical
 * table, printing ops/s and the ratio. Uses DATABASE_URL (a fresh database is
 * created on that server) or starts an embedded PostgreSQL.
 *
 *   pnpm bench            # in packages/pg-store
 */
import { randomBytes, randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { startEmbeddedPostgres } from "@syncline/embedded-pg";
import type { Op } from "@syncline/protocol";
import { rawInsertOps } from "@syncline/testkit";
import pg from "pg";
import { migratePgStore, PgSyncStore } from "../src/index.js";

const TOTAL_OPS = 100_000;
const BATCH = 500;
const USERS = 10;
const DEVICES_PER_USER = 2;

interface Batch {
  readonly userId: string;
  readonly deviceId: string;
  readonly ops: Op[];
}

/** 100k ops over 10 users × 2 devices, 200 entities × 5 fields per user, 5% deletes. */
function workload(): Batch[] {
  const batches: Batch[] = [];
  const devices = Array.from({ length: USERS }, () => {
    const userId = randomUUID();
    return Array.from({ length: DEVICES_PER_USER }, () => ({ userId, deviceId: randomUUID() }));
  }).flat();
  const clocks = new Map<string, number>();
  for (let n = 0; n < TOTAL_OPS / BATCH; n++) {
    const { userId, deviceId } = devices[n % devices.length]!;
    const ops: Op[] = [];
    for (let i = 0; i < BATCH; i++) {
      const lamport = (clocks.get(deviceId) ?? 0) + 1;
      clocks.set(deviceId, lamport);
      const entityId = `track-${(n * 31 + i * 7) % 200}`;
      const base = {
        operation_id: randomUUID(),
        lamport_ts: lamport,
        entity_type: "track",
        entity_id: entityId,
      };
      ops.push(
        i % 20 === 19
          ? { ...base, op: "delete", field: null, value: null }
          : {
              ...base,
              op: "upsert",
              field: `f${i % 5}`,
              value: { title: `Song ${n}-${i}`, plays: i },
            },
      );
    }
    batches.push({ userId, deviceId, ops });
  }
  return batches;
}

/** One multi-row `INSERT … VALUES (…), (…)` per batch: the baseline. */
async function timed(run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}

const rate = (ops: number, seconds: number) => Math.round(ops / seconds).toLocaleString("en-US");

async function main(): Promise<void> {
  const embedded = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres();
  const adminUrl = process.env.DATABASE_URL ?? embedded!.url;
  const name = `syncline_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  try {
    await migratePgStore(pool);
    await pool.query("CREATE TABLE sync_op_raw (LIKE sync_op INCLUDING ALL)");
    const batches = workload();
    const store = new PgSyncStore({ pool });

    // Interleaved batch by batch, so both see the same machine load and table sizes.
    let pushSeconds = 0;
    let rawSeconds = 0;
    for (const batch of batches) {
      pushSeconds += await timed(() =>
        store.push(batch.userId, batch.deviceId, batch.ops).then(() => {}),
      );
      rawSeconds += await timed(() =>
        rawInsertOps(pool, "sync_op_raw", batch.userId, batch.deviceId, batch.ops),
      );
    }

    const users = [...new Set(batches.map((batch) => batch.userId))];
    for (const batch of batches) {
      await store.ack(batch.userId, batch.deviceId, await store.headId(batch.userId));
    }
    let deleted = 0;
    const compactSeconds = await timed(async () => {
      deleted = (await store.compact({ userIds: users })).deleted;
    });
    await store.close();

    const { rows } = await pool.query<{ server_version: string }>("SHOW server_version");
    console.log(
      `PostgreSQL ${rows[0]!.server_version}, ${TOTAL_OPS} ops in batches of ${BATCH}, ${USERS} users × ${DEVICES_PER_USER} devices, sequential, interleaved`,
    );
    console.log(
      `push (PgSyncStore.push)     ${pushSeconds.toFixed(2)} s  ${rate(TOTAL_OPS, pushSeconds)} ops/s`,
    );
    console.log(
      `raw multi-row INSERT        ${rawSeconds.toFixed(2)} s  ${rate(TOTAL_OPS, rawSeconds)} ops/s`,
    );
    console.log(`push / raw throughput       ${(rawSeconds / pushSeconds).toFixed(2)}`);
    console.log(
      `compact (${users.length} users)         ${compactSeconds.toFixed(2)} s  ${rate(TOTAL_OPS, compactSeconds)} ops/s scanned, ${deleted} deleted, ${TOTAL_OPS - deleted} left`,
    );
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await embedded?.stop();
  }
}

await main();
