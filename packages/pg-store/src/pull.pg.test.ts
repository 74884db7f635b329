import { isSyncError, MAX_PAGE_VALUE_BYTES, type SyncError } from "@syncline/protocol";
import { beforeAll, describe, expect, it } from "vitest";
import { openTestStore, pullAll, type TestStore, upsert, uuid } from "./test-support.js";

let db: TestStore;
beforeAll(async () => {
  db = await openTestStore();
});

async function userWithOps(count: number): Promise<{ user: string; ids: number[] }> {
  const [user, device] = [uuid(), uuid()];
  const pushed = await db.store.push(
    user,
    device,
    Array.from({ length: count }, (_, i) => upsert(i + 1, `p${i}`, "title", i)),
  );
  return { user, ids: pushed.map((op) => op.id) };
}

describe("pull", () => {
  // R20 (page)
  it("pages through the log in ascending id with has_more", async () => {
    const { user, ids } = await userWithOps(7);
    const first = await db.store.pull(user, { since: 0, limit: 3 });
    expect(first.ops.map((op) => op.id)).toEqual(ids.slice(0, 3));
    expect(first.has_more).toBe(true);
    const second = await db.store.pull(user, { since: ids[2]!, limit: 3 });
    expect(second.ops.map((op) => op.id)).toEqual(ids.slice(3, 6));
    expect(second.has_more).toBe(true);
    const last = await db.store.pull(user, { since: ids[5]!, limit: 3 });
    expect(last.ops.map((op) => op.id)).toEqual(ids.slice(6));
    expect(last.has_more).toBe(false);
  });

  // R20 (page)
  it("says has_more=false when the page ends exactly at the head, and returns nothing after it", async () => {
    const { user, ids } = await userWithOps(4);
    expect(await db.store.pull(user, { since: ids[1]!, limit: 2 })).toMatchObject({
      has_more: false,
    });
    expect(await db.store.pull(user, { since: ids[3]! })).toEqual({ ops: [], has_more: false });
    expect(await db.store.pull(uuid(), {})).toEqual({ ops: [], has_more: false });
  });

  // R20 (page byte bound)
  it("ends a page after the op whose value crosses the byte bound, at least one op a page, has_more honest", async () => {
    const [user, device] = [uuid(), uuid()];
    const big = "x".repeat(60 * 1024);
    const pushed = await db.store.push(
      user,
      device,
      Array.from({ length: 100 }, (_, i) => upsert(i + 1, `p${i}`, "cover", big)),
    );
    const ids = pushed.map((op) => op.id);
    const valueBytes = JSON.stringify(big).length;

    // The default bound: 5000 ops of 60 KiB never come in one page.
    const first = await db.store.pull(user, { since: 0, limit: 5000 });
    const perPage = Math.ceil(MAX_PAGE_VALUE_BYTES / valueBytes);
    expect(first.ops.map((op) => op.id)).toEqual(ids.slice(0, perPage));
    expect(first.has_more).toBe(true);

    // Paging by bytes returns every op once, in order, and ends with has_more false.
    const seen: number[] = [];
    let since = 0;
    for (let page = 0; page < 200; page++) {
      const next = await db.store.pull(user, { since, limit: 5000, maxValueBytes: 3 * valueBytes });
      expect(next.ops.length).toBeGreaterThan(0);
      expect(next.ops.length).toBeLessThanOrEqual(3);
      seen.push(...next.ops.map((op) => op.id));
      since = next.ops.at(-1)!.id;
      if (!next.has_more) break;
    }
    expect(seen).toEqual(ids);

    // A single op larger than the bound still comes, alone.
    const alone = await db.store.pull(user, { since: 0, limit: 10, maxValueBytes: 1 });
    expect(alone.ops.map((op) => op.id)).toEqual([ids[0]]);
    expect(alone.has_more).toBe(true);
    // A count bound below the byte bound still says has_more when more follow.
    expect(await db.store.pull(user, { since: ids[97]!, limit: 5000 })).toMatchObject({
      has_more: false,
    });
  });

  // R24 (pull never writes a cursor)
  it("never writes a cursor", async () => {
    const { user } = await userWithOps(3);
    await pullAll(db.store, user, 1);
    const { rows } = await db.pool.query("SELECT * FROM device_sync_cursor WHERE user_id = $1", [
      user,
    ]);
    expect(rows).toEqual([]);
  });
});

describe("pull: the resync guard (410)", () => {
  // R22 (410 guard), R23 (`since=0` always proceeds)
  it("refuses 0 < since < compacted_up_to; allows since = 0 and since >= compacted_up_to", async () => {
    const device = uuid();
    const user = uuid();
    const pushed = await db.store.push(
      user,
      device,
      Array.from({ length: 6 }, (_, i) => upsert(i + 1, "p1", "title", i)),
    );
    const ids = pushed.map((op) => op.id);
    await db.store.ack(user, device, ids[4]!);
    const compaction = await db.store.compactUser(user);
    expect(compaction?.compactedUpTo).toBe(ids[4]);
    expect(await db.store.compactedUpTo(user)).toBe(ids[4]);

    for (const since of [1, ids[0]!, ids[3]!, ids[4]! - 1]) {
      const error = await db.store.pull(user, { since }).catch((thrown: unknown) => thrown);
      expect(isSyncError(error, "resync_required")).toBe(true);
      expect((error as SyncError).status).toBe(410);
      expect((error as SyncError).body).toMatchObject({ compacted_up_to: ids[4] });
    }

    const fromZero = await db.store.pull(user, { since: 0 });
    expect(fromZero.ops.map((op) => op.id)).toEqual([ids[3], ids[4], ids[5]]);
    const atWatermark = await db.store.pull(user, { since: ids[4]! });
    expect(atWatermark.ops.map((op) => op.id)).toEqual([ids[5]]);
  });
});

describe("pull: resync pages", () => {
  // R22 (410 guard), R23: a read that began at since=0 pages through a compacted log to its end.
  it("lets pages that continue a read from 0 pass the guard, so a resync ends", async () => {
    const device = uuid();
    const user = uuid();
    const pushed = await db.store.push(
      user,
      device,
      Array.from({ length: 8 }, (_, i) => upsert(i + 1, `p${i % 4}`, "title", i)),
    );
    const ids = pushed.map((op) => op.id);
    await db.store.ack(user, device, ids[6]!);
    await db.store.compactUser(user);
    const first = await db.store.pull(user, { since: 0, limit: 1 });
    const next = first.ops[0]!.id;
    expect(next).toBeLessThan(ids[6]!);
    // Without the flag, the second page of the resync is refused: the loop would never end.
    await expect(db.store.pull(user, { since: next, limit: 1 })).rejects.toMatchObject({
      body: { type: "resync_required" },
    });
    const all = await pullAll(db.store, user, 1);
    expect(all.map((op) => op.id)).toEqual(
      (await db.store.pull(user, { since: 0, limit: 100 })).ops.map((op) => op.id),
    );
    expect(all.at(-1)!.id).toBe(ids[7]);
  });
});
