/**
 * SQLite apply rate of a 100k-op catch-up, beside a raw better-sqlite3
 * insert of the same rows, all in pages of 1000 (one transaction each), in
 * one run. Run with `pnpm bench` in this package.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSyncClient, type Transport } from "@syncline/client";
import { applyOpTo, type StoredOp } from "@syncline/protocol";
import Sqlite from "better-sqlite3";
import { SqliteClientStore } from "../src/index.js";

const TOTAL = 100_000;
const PAGE = 1000;
const ENTITIES = 10_000;
const FIELDS = ["title", "artist", "album", "rank", "tags"];
const DEVICE = "0192f5c1-3b7e-7a4c-9d2e-5f1a2b3c4d5e";

/** Deterministic ops: upserts over 10k entities × 5 fields, 1% deletes. */
function makeOps(): StoredOp[] {
  let seed = 42;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed;
  };
  return Array.from({ length: TOTAL }, (_, i): StoredOp => {
    const base = {
      id: i + 1,
      operation_id: `00000000-0000-7000-8000-${String(i + 1).padStart(12, "0")}`,
      device_id: DEVICE,
      lamport_ts: i + 1,
      entity_type: "track",
      entity_id: `t${next() % ENTITIES}`,
      wall_clock: "2025-01-01T00:00:00.000Z",
    };
    if (next() % 100 === 0) return { ...base, op: "delete", field: null, value: null };
    const field = FIELDS[next() % FIELDS.length]!;
    const value = field === "rank" ? next() % 1000 : `${field} ${next() % 100_000}`;
    return { ...base, op: "upsert", field, value };
  });
}

function pages(ops: StoredOp[]): StoredOp[][] {
  const out: StoredOp[][] = [];
  for (let i = 0; i < ops.length; i += PAGE) out.push(ops.slice(i, i + PAGE));
  return out;
}

function time(run: () => void): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

const dir = mkdtempSync(join(tmpdir(), "syncline-bench-"));
const ops = makeOps();
const paged = pages(ops);
const results: [string, number][] = [];

// 1. Raw better-sqlite3: insert the same rows into a plain table.
{
  const db = new Sqlite(join(dir, "raw.db"));
  db.pragma("journal_mode = WAL");
  db.exec(`CREATE TABLE op (id INTEGER PRIMARY KEY, operation_id TEXT, device_id TEXT, lamport_ts INTEGER,
    entity_type TEXT, entity_id TEXT, op TEXT, field TEXT, value TEXT, wall_clock TEXT) STRICT`);
  const insert = db.prepare("INSERT INTO op VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  const page = db.transaction((rows: StoredOp[]) => {
    for (const o of rows) {
      insert.run(
        o.id,
        o.operation_id,
        o.device_id,
        o.lamport_ts,
        o.entity_type,
        o.entity_id,
        o.op,
        o.field,
        o.op === "upsert" ? JSON.stringify(o.value) : null,
        o.wall_clock,
      );
    }
  });
  const ms = time(() => {
    for (const rows of paged) page(rows);
  });
  results.push(["raw better-sqlite3 INSERT", ms]);
  db.close();
}

// 2. SqliteClientStore: applyOpTo (last-writer-wins) + cursor, one transaction per page.
{
  const store = new SqliteClientStore(join(dir, "store.db"));
  const ms = time(() => {
    for (const rows of paged) {
      store.transaction((tx) => {
        for (const op of rows) applyOpTo(tx, op);
        tx.setCursor(rows.at(-1)!.id);
      });
    }
  });
  results.push(["SqliteClientStore applyOpTo", ms]);
  store.close();
}

// 3. The whole client catch-up: pull pages, dedupe, clock merge, LWW apply, cursor.
{
  const store = new SqliteClientStore(join(dir, "engine.db"));
  const transport: Transport = {
    push: async () => ({ ok: true, value: { ops: [] } }),
    ack: async (id) => ({ ok: true, value: { last_seen_id: id } }),
    pull: async ({ since, limit }) => {
      const page = ops.slice(since, since + limit);
      return { ok: true, value: { ops: page, has_more: since + limit < TOTAL } };
    },
    connect: () => ({ send: () => {}, close: () => {} }),
  };
  const client = createSyncClient({ store, transport, token: "bench", pullLimit: PAGE });
  const start = performance.now();
  client.start();
  while (store.transaction((tx) => tx.cursor()) < TOTAL) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  results.push(["SyncClient catch-up over SqliteClientStore", performance.now() - start]);
  await client.stop();
  store.close();
}

rmSync(dir, { recursive: true, force: true });
const raw = results[0]![1];
console.log(`${TOTAL} ops in pages of ${PAGE} (Node ${process.version})`);
for (const [name, ms] of results) {
  const rate = Math.round(TOTAL / (ms / 1000)).toLocaleString("en-US");
  console.log(
    `${name.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms  ${rate.padStart(11)} ops/s  ${(ms / raw).toFixed(1)}× raw`,
  );
}
