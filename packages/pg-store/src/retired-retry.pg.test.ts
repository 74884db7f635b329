import { isSyncError, type UpsertOp } from "@syncline/protocol";
import { beforeAll, describe, expect, it } from "vitest";
import { contentMd5 } from "./rows.js";
import { openTestStore, type TestStore, upsert, uuid } from "./test-support.js";

let db: TestStore;
beforeAll(async () => {
  db = await openTestStore();
});

// How a retry of a compacted op is answered is in @syncline/server-core/conformance;
// this file checks the table that remembers removed ops.
describe("R68 (a retry never becomes a new op): sync_op_retired", () => {
  it("R68: holds every op compaction removed, with its id, lamport_ts and wall_clock; log and memory hold each operation_id once", async () => {
    const [user, device] = [uuid(), uuid()];
    const first = await db.store.push(user, device, [
      upsert(1, "p1", "title", "a"),
      upsert(2, "p1", "title", "b"),
      upsert(3, "p1", "title", "c"),
    ]);
    // MIN is c: a is superseded by b below it.
    await db.store.ack(user, device, first[2]!.id);
    expect((await db.store.compactUser(user))?.deleted).toBe(1);
    // A retry of a removed op is a duplicate: it adds nothing to either table.
    await db.store.push(user, device, [{ ...first[0]!, lamport_ts: 4 }]);
    const second = await db.store.push(user, device, [upsert(5, "p1", "title", "d")]);
    // MIN is d: b is superseded by c below it.
    await db.store.ack(user, device, second[0]!.id);
    expect((await db.store.compactUser(user))?.deleted).toBe(1);

    const { rows: retired } = await db.pool.query<{
      operation_id: string;
      id: string;
      lamport_ts: string;
      wall_clock: Date;
    }>(
      "SELECT operation_id, id, lamport_ts, wall_clock FROM sync_op_retired WHERE user_id = $1 ORDER BY id",
      [user],
    );
    expect(
      retired.map((row) => ({
        operation_id: row.operation_id,
        id: Number(row.id),
        lamport_ts: Number(row.lamport_ts),
        wall_clock: row.wall_clock.toISOString(),
      })),
    ).toEqual(
      first.slice(0, 2).map(({ operation_id, id, lamport_ts, wall_clock }) => ({
        operation_id,
        id,
        lamport_ts,
        wall_clock: new Date(wall_clock).toISOString(),
      })),
    );
    const { rows } = await db.pool.query<{ operation_id: string }>(
      `SELECT operation_id FROM sync_op WHERE user_id = $1
       UNION ALL SELECT operation_id FROM sync_op_retired WHERE user_id = $1`,
      [user],
    );
    const sent = [...first, ...second].map((op) => op.operation_id);
    expect(rows.map((row) => row.operation_id).sort()).toEqual([...sent].sort());
  });

  /** Pushes `op`, a newer write of its field and an op after that, ACKs them and compacts: `op` is retired. */
  async function retire(user: string, device: string, op: UpsertOp) {
    const [stored] = await db.store.push(user, device, [op]);
    const [, head] = await db.store.push(user, device, [
      upsert(op.lamport_ts + 1, op.entity_id, op.field, "newer"),
      upsert(op.lamport_ts + 2, "other", "title", "head"),
    ]);
    await db.store.ack(user, device, head!.id);
    expect((await db.store.compactUser(user))?.deleted).toBe(1);
    return stored!;
  }

  /** What a retry of a retired op is answered: its stored form, or the error's type. */
  async function retry(user: string, device: string, op: UpsertOp) {
    try {
      return (await db.store.push(user, device, [op]))[0];
    } catch (error) {
      if (isSyncError(error)) return error.body.type;
      throw error;
    }
  }

  it("R68, R15: the content is remembered as a hash of its JSONB: keys in another order are the same content, another value is not", async () => {
    const [user, device] = [uuid(), uuid()];
    const op = upsert(1, "p1", "meta", { a: 1, b: [true, "x"] });
    const stored = await retire(user, device, op);
    const { rows } = await db.pool.query<{ hashed: boolean; md5: string | null }>(
      "SELECT content_hash IS NOT NULL AS hashed, content_md5 AS md5 FROM sync_op_retired WHERE user_id = $1",
      [user],
    );
    expect(rows).toEqual([{ hashed: true, md5: null }]);
    expect(await retry(user, device, { ...op, value: { b: [true, "x"], a: 1 } })).toEqual({
      ...stored,
      duplicate: true,
    });
    expect(await retry(user, device, { ...op, value: { a: 1, b: [true, "y"] } })).toBe(
      "operation_id_reused",
    );
    expect(await retry(user, device, { ...op, field: "title" })).toBe("operation_id_reused");
  });

  it("R68, R15: an op retired before migration 11 (its MD5 kept, no content_hash) is still checked by its MD5", async () => {
    const [user, device] = [uuid(), uuid()];
    const op = upsert(1, "p1", "title", "first");
    const stored = await retire(user, device, op);
    // The row as such an op's memory is: the MD5 of the op's content and no hash.
    await db.pool.query(
      `UPDATE sync_op_retired SET content_hash = NULL, content_md5 = (
         SELECT ${contentMd5("c")} FROM (SELECT $2::text AS entity_type, $3::text AS entity_id,
           'upsert'::text AS op, $4::text AS field, $5::jsonb AS value) c)
       WHERE user_id = $1`,
      [user, op.entity_type, op.entity_id, op.field, JSON.stringify(op.value)],
    );
    expect(await retry(user, device, op)).toEqual({ ...stored, duplicate: true });
    expect(await retry(user, device, { ...op, value: "other" })).toBe("operation_id_reused");
  });
});
