import { isSyncError, type SyncError } from "@syncline/protocol";
import { describe, expect, it } from "vitest";
import type { SyncStore } from "../store.js";
import { userWithUpserts } from "./log.js";
import { upsert, uuid } from "./ops.js";
import { rejectionOf } from "./rejection.js";
import { type OpenConformanceSubject, storeUnderTest } from "./subject.js";

/** The stale window of the freshness probe: short, so a millisecond either side of its edge shows. */
const PROBE_WINDOW_MS = 1000;

/**
 * Asserts, as compaction judges freshness (R57), that the one device that
 * ACKed `userId` did so last at exactly `at` with cursor `cursor`: stale a
 * millisecond after `at` plus the window, fresh at its edge. The port's form
 * of reading `last_seen_at`. One probe per user: its second run compacts.
 */
async function expectLastAck(
  store: SyncStore,
  userId: string,
  expected: { at: Date; cursor: number },
): Promise<void> {
  const edge = expected.at.getTime() + PROBE_WINDOW_MS;
  const judgedAt = (time: number) => ({ now: new Date(time), staleAfterMs: PROBE_WINDOW_MS });
  expect(await store.compactUser(userId, judgedAt(edge + 1))).toBeUndefined();
  expect(await store.compactUser(userId, judgedAt(edge))).toMatchObject({
    compactedUpTo: expected.cursor,
  });
}

const second = (seconds: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, seconds));

/** ACK cursors: raise only, refresh, the head bound, the bounds read (R9, R25–R27). */
export function describeAckConformance(open: OpenConformanceSubject): void {
  describe("ack", () => {
    const store = storeUnderTest(open);

    it("R26 (ACK only raises): raises the cursor only; a lower or equal ACK keeps the id", async () => {
      const { user, device, ids } = await userWithUpserts(store(), 5, () => "p1");
      expect(await store().cursor(user, device)).toBe(0);

      expect(await store().ack(user, device, ids[2]!, second(1))).toBe(ids[2]);
      expect(await store().cursor(user, device)).toBe(ids[2]);

      expect(await store().ack(user, device, ids[1]!, second(2))).toBe(ids[2]);
      expect(await store().cursor(user, device)).toBe(ids[2]);

      expect(await store().ack(user, device, ids[2]!, second(3))).toBe(ids[2]);
      expect(await store().cursor(user, device)).toBe(ids[2]);

      expect(await store().ack(user, device, ids[4]!, second(4))).toBe(ids[4]);
      expect(await store().cursor(user, device)).toBe(ids[4]);
    });

    it("R26 (ACK only raises): an ACK records its time; a lower or equal ACK still refreshes last_seen_at", async () => {
      const acks = [
        { id: 2, at: second(1) },
        { id: 1, at: second(2) },
        { id: 2, at: second(3) },
      ];
      // After each prefix of the ACKs: the highest id, the latest time.
      for (let count = 1; count <= acks.length; count++) {
        const { user, device, ids } = await userWithUpserts(store(), 5, () => "p1");
        for (const ack of acks.slice(0, count)) {
          expect(await store().ack(user, device, ids[ack.id]!, ack.at)).toBe(ids[2]);
        }
        await expectLastAck(store(), user, { at: acks[count - 1]!.at, cursor: ids[2]! });
      }
    });

    it("R26 (ACK only raises): never moves last_seen_at back when an older ACK arrives late", async () => {
      const { user, device, ids } = await userWithUpserts(store(), 2, () => "p1");
      const later = new Date("2030-06-01T00:00:00Z");
      await store().ack(user, device, ids[0]!, later);
      await store().ack(user, device, ids[1]!, new Date("2030-05-01T00:00:00Z"));
      await expectLastAck(store(), user, { at: later, cursor: ids[1]! });
    });

    it("R25 (ACK is the only cursor writer): accepts 0 for an empty log and stamps the current time by default", async () => {
      const [user, device, writer] = [uuid(), uuid(), uuid()];
      const before = Date.now();
      expect(await store().ack(user, device, 0)).toBe(0);
      expect(await store().cursor(user, device)).toBe(0);

      // With a writer fresh at its head, the ACK of 0 holds compaction at 0 while it is fresh.
      const [op] = await store().push(user, writer, [upsert(1, "p1", "title", "A")]);
      const judgedAt = (time: number) => ({
        now: new Date(time),
        staleAfterMs: PROBE_WINDOW_MS,
        pendingAcks: [{ userId: user, deviceId: writer, lastSeenId: op!.id, at: new Date(time) }],
      });
      // Fresh a second before the call began: stamped no earlier than that.
      expect(await store().compactUser(user, judgedAt(before))).toBeUndefined();
      // Stale an hour later: stamped at the call, not in the future.
      expect(await store().compactUser(user, judgedAt(before + 3_600_000))).toMatchObject({
        compactedUpTo: op!.id,
      });
    });

    it("R27 (ACK above head): rejects an id above the user's head with invalid_request (422) and writes nothing", async () => {
      const { user, device, ids } = await userWithUpserts(store(), 3, () => "p1");
      const head = ids[2]!;
      expect(await store().headId(user)).toBe(head);
      const error = await rejectionOf(store().ack(user, device, head + 1));
      expect(isSyncError(error, "invalid_request")).toBe(true);
      const syncError = error as SyncError;
      expect(syncError.status).toBe(422);
      expect(syncError.body).toMatchObject({
        issues: [{ path: ["last_seen_id"], code: "too_big" }],
      });
      expect(syncError.message).toContain(`above the highest op id of this user (${head})`);
      expect(await store().cursor(user, device)).toBe(0);
      // Nothing written: the refused device does not hold back a compaction to the head.
      await store().ack(user, uuid(), head);
      expect(await store().compactUser(user)).toMatchObject({ compactedUpTo: head });
    });

    it("R27 (ACK above head), R9 (tenant isolation): judges the head per user; another user's higher ids do not count", async () => {
      const { user, device } = await userWithUpserts(store(), 1, () => "p1");
      const other = await userWithUpserts(store(), 3, () => "p1");
      await expect(store().ack(user, device, other.ids[2]!)).rejects.toSatisfy((error) =>
        isSyncError(error, "invalid_request"),
      );
    });

    it("R26/R27: ackBounds reports the head and the stored cursor", async () => {
      const [user, device, other] = [uuid(), uuid(), uuid()];
      expect(await store().ackBounds(user, device)).toEqual({ head: 0, cursor: 0 });
      const pushed = await store().push(
        user,
        other,
        [1, 2, 3].map((ts) => upsert(ts, "p1", "title", ts)),
      );
      const [first, middle, head] = pushed.map((op) => op.id);
      expect(await store().ackBounds(user, device)).toEqual({ head, cursor: 0 });
      await store().ack(user, device, middle!);
      expect(await store().ackBounds(user, device)).toEqual({ head, cursor: middle });
      // A lower ACK keeps the cursor; a refused one changes nothing.
      await store().ack(user, device, first!);
      await expect(store().ack(user, device, head! + 1)).rejects.toSatisfy((error) =>
        isSyncError(error, "invalid_request"),
      );
      expect(await store().ackBounds(user, device)).toEqual({ head, cursor: middle });
      // The cursor is the device's own; the head is the user's own (R9).
      expect(await store().ackBounds(user, other)).toEqual({ head, cursor: 0 });
      await store().push(uuid(), device, [upsert(1, "p1", "title", "elsewhere")]);
      expect(await store().ackBounds(user, device)).toEqual({ head, cursor: middle });
    });
  });
}
