import { randomUUID } from "node:crypto";
import type { Op } from "@syncline/protocol";
import { ManualScheduler } from "@syncline/testkit";
import { describe, expect, it } from "vitest";
import { AckBuffer } from "./ack-buffer.js";
import { MemorySyncStore } from "./memory-store.js";

const scheduler = new ManualScheduler();
const store = new MemorySyncStore({ scheduler });

async function userWithOps(count: number) {
  const userId = randomUUID();
  const deviceId = randomUUID();
  const ops: Op[] = Array.from({ length: count }, (_, i) => ({
    operation_id: randomUUID(),
    lamport_ts: i + 1,
    entity_type: "t",
    entity_id: `e${i}`,
    op: "upsert",
    field: "f",
    value: i,
  }));
  const stored = await store.push(userId, deviceId, ops);
  return { userId, deviceId, ids: stored.map((op) => op.id) };
}

describe("AckBuffer (R53–R56)", () => {
  it("keeps the highest id and the newest time per device", async () => {
    const buffer = new AckBuffer({ store });
    const early = new Date("2026-01-01T00:00:00Z");
    const late = new Date("2026-02-01T00:00:00Z");
    buffer.record("u", "d", 5, late);
    buffer.record("u", "d", 3, early);
    expect(buffer.pending()).toEqual([{ userId: "u", deviceId: "d", lastSeenId: 5, at: late }]);
  });

  it("writes buffered ACKs to the store within the flush interval", async () => {
    const { userId, deviceId, ids } = await userWithOps(3);
    const buffer = new AckBuffer({ store, flushIntervalMs: 100, scheduler });
    buffer.start();
    buffer.record(userId, deviceId, ids[2]!);
    await scheduler.advance(99);
    expect(await store.cursor(userId, deviceId)).toBe(0);
    await scheduler.advance(1);
    expect(await store.cursor(userId, deviceId)).toBe(ids[2]);
    // And again at every interval.
    buffer.record(userId, deviceId, ids[2]!, new Date(scheduler.now() + 1));
    await scheduler.advance(100);
    expect(buffer.pending()).toEqual([]);
    await buffer.stop();
  });

  it("flushes on stop (shutdown)", async () => {
    const { userId, deviceId, ids } = await userWithOps(1);
    const buffer = new AckBuffer({ store, flushIntervalMs: 60_000, scheduler });
    buffer.start();
    buffer.record(userId, deviceId, ids[0]!);
    await buffer.stop();
    expect(await store.cursor(userId, deviceId)).toBe(ids[0]);
  });

  it("keeps an ACK whose write failed for the next flush", async () => {
    const { userId, deviceId, ids } = await userWithOps(1);
    const buffer = new AckBuffer({ store });
    // An id above the head is refused by the store: the entry must survive.
    buffer.record(userId, deviceId, ids[0]! + 1000);
    await buffer.flush();
    expect(buffer.get(userId, deviceId)?.lastSeenId).toBe(ids[0]! + 1000);
  });

  it("hands unflushed ACKs to compaction, which counts them", async () => {
    const { userId, deviceId, ids } = await userWithOps(4);
    // Stored cursor is old: three months ago, id 1 — stale on its own.
    const now = new Date(scheduler.now());
    await store.ack(userId, deviceId, ids[0]!, new Date(now.getTime() - 100 * 86_400_000));
    const buffer = new AckBuffer({ store });
    buffer.record(userId, deviceId, ids[3]!, now);
    const withoutBuffer = await store.compact({ userIds: [userId], now });
    expect(withoutBuffer.users).toEqual([]);
    const withBuffer = await store.compact({
      userIds: [userId],
      now,
      pendingAcks: buffer.pending(),
    });
    expect(withBuffer.users[0]?.compactedUpTo).toBe(ids[3]);
  });
});
