import type {
  ClientStore,
  EntityFields,
  FailedOp,
  PendingOp,
  StoreTx,
  SyncIssue,
} from "@syncline/client";
import type { JsonValue, Op } from "@syncline/protocol";
import Sqlite, { type Database, type Statement } from "better-sqlite3";
import { migrateSqliteStore } from "./migrate.js";
import { SQLITE_STORE_MIGRATIONS } from "./migrations/index.js";

/** Options of {@link SqliteClientStore}. */
export interface SqliteClientStoreOptions {
  /** How long a write waits for another connection's lock, in ms (SQLite `busy_timeout`). @default 5000 */
  readonly busyTimeoutMs?: number;
}

interface QueueRow {
  operation_id: string;
  lamport_ts: number;
  entity_type: string;
  entity_id: string;
  op: "upsert" | "delete";
  field: string | null;
  value: string | null;
  attempts: number;
  last_error: string | null;
}

const QUEUE_COLUMNS =
  "operation_id, lamport_ts, entity_type, entity_id, op, field, value, attempts, last_error";

/** Parameters of one snapshot field in the insert: entity_type, entity_id, field, value, id. */
const SNAPSHOT_COLUMNS = 5;

/** Fields one statement of `loadSnapshot` inserts: 500 parameters, under SQLite's oldest bound of 999. */
const SNAPSHOT_ROWS_PER_INSERT = 100;

/**
 * A multi-row insert of `rows` snapshot fields (entity_type, entity_id,
 * field, value, id) that keeps the reducer's rule: a row is skipped when its
 * entity's tombstone is at or above its id, and replaces a stored field only
 * when its id is higher (R48–R50).
 */
function snapshotInsertSql(rows: number): string {
  return `INSERT INTO syncline_field (entity_type, entity_id, field, value, id)
    SELECT v.column1, v.column2, v.column3, v.column4, v.column5
    FROM (VALUES ${Array.from({ length: rows }, () => "(?, ?, ?, ?, ?)").join(", ")}) AS v
    WHERE NOT EXISTS (
      SELECT 1 FROM syncline_tombstone AS t
      WHERE t.entity_type = v.column1 AND t.entity_id = v.column2 AND t.id >= v.column5
    )
    ON CONFLICT (entity_type, entity_id, field) DO UPDATE SET value = excluded.value, id = excluded.id
    WHERE excluded.id > syncline_field.id`;
}

function toOp(row: QueueRow): Op {
  const base = {
    operation_id: row.operation_id,
    lamport_ts: row.lamport_ts,
    entity_type: row.entity_type,
    entity_id: row.entity_id,
  };
  return row.op === "delete"
    ? { ...base, op: "delete", field: null, value: null }
    : { ...base, op: "upsert", field: row.field!, value: JSON.parse(row.value!) as JsonValue };
}

function toIssue(text: string | null): SyncIssue | null {
  return text === null ? null : (JSON.parse(text) as SyncIssue);
}

/**
 * A `ClientStore` in one SQLite file (better-sqlite3, WAL mode). Its tables:
 * - `syncline_setting`: device id, Lamport counter, cursor;
 * - `syncline_pending`: the op queue, in order, with state, attempts and last error;
 * - `syncline_field` `(entity_type, entity_id, field) → value (JSON), id` and
 *   `syncline_tombstone` `(entity_type, entity_id) → id`: the server state,
 *   maintained with the protocol's `applyOpTo`, which simple apps can query
 *   directly (this device's unpushed edits are in `syncline_pending`;
 *   `client.read`/`list` lay them on top).
 *
 * Apps with their own tables write them through `tx.db` inside
 * `client.mutate` (and the `onApply` hook), in the same transaction.
 * @example
 * const store = new SqliteClientStore("app.db");
 * const client = createSyncClient({ store, transport, token });
 */
export class SqliteClientStore implements ClientStore<Database> {
  /** The better-sqlite3 connection, for the app's own tables. */
  readonly db: Database;
  readonly #owned: boolean;
  readonly #run: (fn: (tx: StoreTx<Database>) => unknown) => unknown;

  /**
   * Opens (or creates) the store and migrates its schema.
   * @param database a better-sqlite3 `Database` (the app keeps ownership) or a file path (the store owns it)
   * @throws SchemaTooNewError when the file was written by a newer release
   */
  constructor(database: Database | string, options: SqliteClientStoreOptions = {}) {
    this.#owned = typeof database === "string";
    this.db = typeof database === "string" ? new Sqlite(database) : database;
    this.db.pragma("journal_mode = WAL");
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    migrateSqliteStore(this.db, SQLITE_STORE_MIGRATIONS);
    const tx = storeTx(this.db);
    this.#run = this.db.transaction((fn: (tx: StoreTx<Database>) => unknown) => fn(tx));
  }

  transaction<T>(fn: (tx: StoreTx<Database>) => T): T {
    return this.#run(fn) as T;
  }

  /** Closes the connection when the store opened it from a path; a given `Database` stays open. */
  close(): void {
    if (this.#owned) this.db.close();
  }
}

function storeTx(db: Database): StoreTx<Database> {
  const prepare = <R = unknown>(sql: string) => db.prepare<unknown[], R>(sql).safeIntegers(false);
  const getSetting = prepare<{ value: string | number }>(
    "SELECT value FROM syncline_setting WHERE key = ?",
  );
  const putSetting = prepare(
    "INSERT INTO syncline_setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  );
  const setting = (key: string) => getSetting.get(key)?.value;

  const enqueue = prepare(
    "INSERT INTO syncline_pending (operation_id, lamport_ts, entity_type, entity_id, op, field, value) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const pending = prepare<QueueRow>(
    `SELECT ${QUEUE_COLUMNS} FROM syncline_pending WHERE state = 'pending' ORDER BY seq LIMIT ?`,
  );
  const pendingCount = prepare<{ n: number }>(
    "SELECT count(*) AS n FROM syncline_pending WHERE state = 'pending'",
  );
  const pendingOfType = prepare<QueueRow>(
    `SELECT ${QUEUE_COLUMNS} FROM syncline_pending WHERE state = 'pending' AND entity_type = ? ORDER BY seq`,
  );
  const pendingOfEntity = prepare<QueueRow>(
    `SELECT ${QUEUE_COLUMNS} FROM syncline_pending WHERE state = 'pending' AND entity_type = ? AND entity_id = ? ORDER BY seq`,
  );
  const restamp = prepare("UPDATE syncline_pending SET lamport_ts = ? WHERE operation_id = ?");
  const attempt = prepare(
    "UPDATE syncline_pending SET attempts = attempts + 1, last_error = ? WHERE operation_id = ?",
  );
  const fail = prepare(
    "UPDATE syncline_pending SET state = 'failed', attempts = attempts + 1, last_error = ? WHERE operation_id = ?",
  );
  const failed = prepare<QueueRow>(
    `SELECT ${QUEUE_COLUMNS} FROM syncline_pending WHERE state = 'failed' ORDER BY seq`,
  );
  const remove = prepare("DELETE FROM syncline_pending WHERE operation_id = ?");

  const fieldsOfType = prepare<{ entity_id: string; field: string; value: string }>(
    "SELECT entity_id, field, value FROM syncline_field WHERE entity_type = ? ORDER BY entity_id, field",
  );
  const fieldsOfEntity = prepare<{ entity_id: string; field: string; value: string }>(
    "SELECT entity_id, field, value FROM syncline_field WHERE entity_type = ? AND entity_id = ? ORDER BY field",
  );
  const tombstoneId = prepare<{ id: number }>(
    "SELECT id FROM syncline_tombstone WHERE entity_type = ? AND entity_id = ?",
  );
  const fieldId = prepare<{ id: number }>(
    "SELECT id FROM syncline_field WHERE entity_type = ? AND entity_id = ? AND field = ?",
  );
  const setField = prepare(
    "INSERT INTO syncline_field (entity_type, entity_id, field, value, id) VALUES (?, ?, ?, ?, ?) ON CONFLICT (entity_type, entity_id, field) DO UPDATE SET value = excluded.value, id = excluded.id",
  );
  const setTombstone = prepare(
    "INSERT INTO syncline_tombstone (entity_type, entity_id, id) VALUES (?, ?, ?) ON CONFLICT (entity_type, entity_id) DO UPDATE SET id = excluded.id",
  );
  const dropHidden = prepare(
    "DELETE FROM syncline_field WHERE entity_type = ? AND entity_id = ? AND id < ?",
  );
  const snapshotInserts = new Map<number, Statement<unknown[]>>();
  /** The insert of `rows` snapshot fields, prepared once per row count. */
  const snapshotInsert = (rows: number) => {
    let statement = snapshotInserts.get(rows);
    if (!statement) {
      statement = prepare(snapshotInsertSql(rows));
      snapshotInserts.set(rows, statement);
    }
    return statement;
  };
  const wipeFields = prepare("DELETE FROM syncline_field");
  const wipeTombstones = prepare("DELETE FROM syncline_tombstone");

  const setSetting = (key: string, value: string | number) => {
    putSetting.run(key, value);
  };
  const toPending = (row: QueueRow): PendingOp => ({
    op: toOp(row),
    attempts: row.attempts,
    lastError: toIssue(row.last_error),
  });

  return {
    db,
    deviceId: () => setting("device_id") as string | undefined,
    setDeviceId: (deviceId) => setSetting("device_id", deviceId),
    lamport: () => (setting("lamport") as number | undefined) ?? 0,
    setLamport: (value) => setSetting("lamport", value),
    cursor: () => (setting("cursor") as number | undefined) ?? 0,
    setCursor: (id) => setSetting("cursor", id),

    enqueue(op) {
      enqueue.run(
        op.operation_id,
        op.lamport_ts,
        op.entity_type,
        op.entity_id,
        op.op,
        op.field,
        op.op === "upsert" ? JSON.stringify(op.value) : null,
      );
    },
    pending: (limit) => pending.all(limit ?? -1).map(toPending),
    pendingCount: () => pendingCount.get()!.n,
    pendingOf: (entityType, entityId) =>
      (entityId === undefined
        ? pendingOfType.all(entityType)
        : pendingOfEntity.all(entityType, entityId)
      ).map(toOp),
    restamp(operationId, lamportTs) {
      restamp.run(lamportTs, operationId);
    },
    recordAttempt(operationIds, error) {
      const text = JSON.stringify(error);
      for (const id of operationIds) attempt.run(text, id);
    },
    markFailed(operationId, error) {
      fail.run(JSON.stringify(error), operationId);
    },
    failed: (): FailedOp[] =>
      failed.all().map((row) => ({
        op: toOp(row),
        attempts: row.attempts,
        error: toIssue(row.last_error)!,
      })),
    remove(operationIds) {
      for (const id of operationIds) remove.run(id);
    },

    entities(entityType, entityId): EntityFields {
      const rows =
        entityId === undefined
          ? fieldsOfType.all(entityType)
          : fieldsOfEntity.all(entityType, entityId);
      const out: EntityFields = {};
      for (const row of rows) {
        out[row.entity_id] ??= {};
        out[row.entity_id]![row.field] = JSON.parse(row.value) as JsonValue;
      }
      return out;
    },
    loadSnapshot(entities) {
      let values: unknown[] = [];
      const flush = () => {
        snapshotInsert(values.length / SNAPSHOT_COLUMNS).run(values);
        values = [];
      };
      for (const { entity_type, entity_id, fields } of entities) {
        for (const { field, value, id } of fields) {
          values.push(entity_type, entity_id, field, JSON.stringify(value), id);
          if (values.length === SNAPSHOT_ROWS_PER_INSERT * SNAPSHOT_COLUMNS) flush();
        }
      }
      if (values.length > 0) flush();
    },
    wipe() {
      wipeFields.run();
      wipeTombstones.run();
      setSetting("cursor", 0);
    },
    tombstoneId: (type, id) => tombstoneId.get(type, id)?.id ?? 0,
    fieldId: (type, id, field) => fieldId.get(type, id, field)?.id ?? 0,
    setField(type, id, field, value, opId) {
      setField.run(type, id, field, JSON.stringify(value), opId);
    },
    setTombstone(type, id, opId) {
      setTombstone.run(type, id, opId);
      dropHidden.run(type, id, opId);
    },
  };
}
