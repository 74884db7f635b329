import { isSyncError, type SyncError } from "@syncline/protocol";
import { beforeAll, describe, expect, it } from "vitest";
import { openTestStore, type TestStore, upsert, uuid } from "./test-support.js";

let db: TestStore;
beforeAll(async () => {
  db = await openTestStore();
});

async function storedCursor(user: string, device: string) {
  const { rows } = await db.pool.query<{ last_seen_id: string; last_seen_at: Date }>(
    "SELECT last_seen_id, last_seen_at FROM device_sync_cursor WHERE user_id = $1 AND device_id = $2",
    [user, device],
  );
  return rows.map((row) => ({ id: Number(row.last_seen_id), at: row.last_seen_at.getTime() }));
}

async function logOf(count: number): Promise<{ user: string; device: string; ids: number[] }> {
  const [user, device] = [uuid(), uuid()];
  const pushed = await db.store.push(
    user,
    device,
    Array.from({ length: count }, (_, i) => upsert(i + 1, "p1", "title", i)),
  );
  return { user, device, ids: pushed.map((op) => op.id) };
}

describe("ack", () => {
  // R26 (ACK only raises)
  it("raises the cursor only; lower or equal ACKs refresh last_seen_at but keep the id", async () => {
    const { user, device, ids } = await logOf(5);
    const t = (seconds: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, seconds));
    expect(await db.store.cursor(user, device)).toBe(0);

    expect(await db.store.ack(user, device, ids[2]!, t(1))).toBe(ids[2]);
    expect(await storedCursor(user, device)).toEqual([{ id: ids[2], at: t(1).getTime() }]);

    expect(await db.store.ack(user, device, ids[1]!, t(2))).toBe(ids[2]);
    expect(await storedCursor(user, device)).toEqual([{ id: ids[2], at: t(2).getTime() }]);

    expect(await db.store.ack(user, device, ids[2]!, t(3))).toBe(ids[2]);
    expect(await storedCursor(user, device)).toEqual([{ id: ids[2], at: t(3).getTime() }]);

    expect(await db.store.ack(user, device, ids[4]!, t(4))).toBe(ids[4]);
    expect(await db.store.cursor(user, device)).toBe(ids[4]);
  });

  // R26 (ACK only raises)
  it("never moves last_seen_at back when an older ACK arrives late", async () => {
    const { user, device, ids } = await logOf(2);
    const later = new Date("2030-06-01T00:00:00Z");
    await db.store.ack(user, device, ids[0]!, later);
    await db.store.ack(user, device, ids[1]!, new Date("2030-05-01T00:00:00Z"));
    expect(await storedCursor(user, device)).toEqual([{ id: ids[1], at: later.getTime() }]);
  });

  // R25 (ACK is the only cursor writer)
  it("accepts 0 for an empty log and stamps the current time by default", async () => {
    const [user, device] = [uuid(), uuid()];
    const before = Date.now();
    expect(await db.store.ack(user, device, 0)).toBe(0);
    const [stored] = await storedCursor(user, device);
    expect(stored!.at).toBeGreaterThanOrEqual(before - 1000);
  });

  // R27 (ACK above head)
  it("rejects an id above the user's head with invalid_request (422) and writes nothing", async () => {
    const { user, device, ids } = await logOf(3);
    const head = ids[2]!;
    expect(await db.store.headId(user)).toBe(head);
    const error = await db.store.ack(user, device, head + 1).catch((thrown: unknown) => thrown);
    expect(isSyncError(error, "invalid_request")).toBe(true);
    const syncError = error as SyncError;
    expect(syncError.status).toBe(422);
    expect(syncError.body).toMatchObject({
      issues: [{ path: ["last_seen_id"], code: "too_big" }],
    });
    expect(syncError.message).toContain(`above the highest op id of this user (${head})`);
    expect(await storedCursor(user, device)).toEqual([]);
  });

  // R27 (ACK above head), R9 (tenant isolation)
  it("judges the head per user: another user's higher ids do not count", async () => {
    const { user, device } = await logOf(1);
    const other = await logOf(3);
    await expect(db.store.ack(user, device, other.ids[2]!)).rejects.toSatisfy((error) =>
      isSyncError(error, "invalid_request"),
    );
  });
});
