import { beforeAll, describe, expect, it } from "vitest";
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
});
