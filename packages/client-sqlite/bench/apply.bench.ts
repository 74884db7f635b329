/**
 * SQLite apply rate of a 100k-op catch-up, beside a raw better-sqlite3
 * insert of the same rows, all in pages of 1000 (one transaction each), in
 * one run; then the load of a 50k-field snapshot (`loadSnapshot`) beside a
 * raw insert of the same fields into a table of the store's shape,
 * interleaved over 5 rounds. Run with `pnpm bench` in this package.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSyncClient, type Transport } from "@syncline/client";
import { applyOpTo, type SnapshotEntity, type StoredOp } from "@syncline/protocol";
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
    // A server without the snapshot route: the client catches up by pull from 0.
    snapshot: async () => ({
      ok: false,
      failure: { type: "http", status: 404, body: null, message: "HTTP 404" },
    }),
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

// 4. A snapshot of 10k entities × 5 fields, in pages of 1000 fields: a raw
// better-sqlite3 INSERT of the same rows, then SqliteClientStore.loadSnapshot.
const snapshotPages: SnapshotEntity[][] = [];
for (let entity = 0; entity < ENTITIES; entity += PAGE / FIELDS.length) {
  snapshotPages.push(
    Array.from({ length: PAGE / FIELDS.length }, (_, i): SnapshotEntity => {
      const n = entity + i;
      return {
        entity_type: "track",
        entity_id: `t${n}`,
        fields: FIELDS.map((field, f) => ({
          field,
          value: field === "rank" ? n % 1000 : `${field} ${n}`,
          id: n * FIELDS.length + f + 1,
        })),
      };
    }),
  );
}
/** A raw better-sqlite3 INSERT of the snapshot's fields, one transaction per page, into a fresh file. */
function rawSnapshotLoad(file: string): number {
  const db = new Sqlite(join(dir, file));
  db.pragma("journal_mode = WAL");
  db.exec(
    // The shape of the store's own field table: the same key, no rowid.
    `CREATE TABLE field (
      entity_type TEXT NOT NULL, entity_id TEXT NOT NULL, field TEXT NOT NULL,
      value TEXT NOT NULL, id INTEGER NOT NULL,
      PRIMARY KEY (entity_type, entity_id, field)
    ) STRICT, WITHOUT ROWID`,
  );
  const insert = db.prepare("INSERT INTO field VALUES (?, ?, ?, ?, ?)");
  const page = db.transaction((entities: SnapshotEntity[]) => {
    for (const e of entities) {
      for (const f of e.fields) {
        insert.run(e.entity_type, e.entity_id, f.field, JSON.stringify(f.value), f.id);
      }
    }
  });
  const ms = time(() => {
    for (const entities of snapshotPages) page(entities);
  });
  db.close();
  return ms;
}

/** `SqliteClientStore.loadSnapshot` of the same pages, one store transaction each, into a fresh file. */
function storeSnapshotLoad(file: string): number {
  const store = new SqliteClientStore(join(dir, file));
  const ms = time(() => {
    for (const entities of snapshotPages) store.transaction((tx) => tx.loadSnapshot(entities));
  });
  store.close();
  return ms;
}

// Interleaved (raw, store, raw, store…), 5 rounds, medians.
const rawLoads: number[] = [];
const storeLoads: number[] = [];
for (let round = 0; round < 5; round++) {
  rawLoads.push(rawSnapshotLoad(`raw-snapshot-${round}.db`));
  storeLoads.push(storeSnapshotLoad(`snapshot-${round}.db`));
}
const medianOf = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const snapshotResults: [string, number][] = [
  ["raw better-sqlite3 INSERT (median of 5)", medianOf(rawLoads)],
  ["SqliteClientStore loadSnapshot (median of 5)", medianOf(storeLoads)],
];

rmSync(dir, { recursive: true, force: true });
const raw = results[0]![1];
console.log(`${TOTAL} ops in pages of ${PAGE} (Node ${process.version})`);
for (const [name, ms] of results) {
  const rate = Math.round(TOTAL / (ms / 1000)).toLocaleString("en-US");
  console.log(
    `${name.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms  ${rate.padStart(11)} ops/s  ${(ms / raw).toFixed(1)}× raw`,
  );
}
const fields = ENTITIES * FIELDS.length;
const rawSnapshot = snapshotResults[0]![1];
console.log(`\n${fields} snapshot fields in pages of ${PAGE}`);
for (const [name, ms] of snapshotResults) {
  const rate = Math.round(fields / (ms / 1000)).toLocaleString("en-US");
  console.log(
    `${name.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms  ${rate.padStart(11)} fields/s  ${(rawSnapshot / ms).toFixed(2)}× raw speed`,
  );
}
