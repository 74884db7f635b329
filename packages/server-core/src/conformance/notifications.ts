import { isSyncError } from "@syncline/protocol";
import { describe, expect, it } from "vitest";
import type { PushNotice, SyncStore } from "../store.js";
import { upsert, uuid } from "./ops.js";
import { type OpenConformanceSubject, storeUnderTest } from "./subject.js";

/** A notice a handler was called with, and what a reader saw when it was. */
interface HeardNotice {
  readonly notice: PushNotice;
  /** The lowest id above `max_id − 1` a pull started inside the handler saw: `max_id` once committed. */
  readonly visibleAtNotice: Promise<number | undefined>;
}

/** A handler on {@link SyncStore.onPush} that keeps the notices `wanted` accepts, in arrival order. */
interface NoticeListener {
  /** Unsubscribes the handler. */
  readonly stop: () => Promise<void>;
  /** The next kept notice (already arrived, or the next to arrive). */
  next(): Promise<HeardNotice>;
  /** Kept notices that arrived and were not taken by {@link next} yet. */
  pending(): number;
}

/**
 * Subscribes a handler that keeps the notices `wanted` accepts: a handler
 * gets every user's pushes, and the caller filters (as the hub does by user).
 */
async function listen(
  store: SyncStore,
  wanted: (notice: PushNotice) => boolean,
): Promise<NoticeListener> {
  const arrived: HeardNotice[] = [];
  const waiters: Array<(heard: HeardNotice) => void> = [];
  // `origin` is the store's own business (optional in the port); pg-store's tests check it.
  const stop = await store.onPush(({ origin: _, ...notice }) => {
    if (!wanted(notice)) return;
    const visibleAtNotice = store
      .pull(notice.user_id, { since: notice.max_id - 1, limit: 1 })
      .then((page) => page.ops[0]?.id);
    // A test that does not look at it must not see it reject unhandled.
    visibleAtNotice.catch(() => {});
    const heard = { notice, visibleAtNotice };
    const waiter = waiters.shift();
    if (waiter) waiter(heard);
    else arrived.push(heard);
  });
  return {
    stop,
    next: () =>
      new Promise<HeardNotice>((resolve) => {
        const queued = arrived.shift();
        if (queued) resolve(queued);
        else waiters.push(resolve);
      }),
    pending: () => arrived.length,
  };
}

const ofUser = (userId: string) => (notice: PushNotice) => notice.user_id === userId;

/**
 * Pushes an op of `userId` that certainly notifies and waits for its notice
 * as the listener's next one. The suite takes notices of one user to arrive
 * in commit order, so once it is heard, every earlier notice was too.
 */
async function barrier(store: SyncStore, userId: string, listener: NoticeListener): Promise<void> {
  const [marker] = await store.push(userId, uuid(), [upsert(1, "barrier", "x", 1)]);
  expect((await listener.next()).notice).toEqual({ user_id: userId, max_id: marker!.id });
}

/** Push notifications through `onPush`: after commit, only for inserts, to every handler (R19). */
export function describeNotificationConformance(open: OpenConformanceSubject): void {
  describe("push notifications", () => {
    const store = storeUnderTest(open);

    it("R19 (broadcast after commit): a push that inserted ops calls onPush handlers after commit with { user_id, max_id }", async () => {
      const user = uuid();
      const listener = await listen(store(), ofUser(user));
      try {
        const pushed = await store().push(
          user,
          uuid(),
          [1, 2, 3].map((ts) => upsert(ts, "p1", "title", ts)),
        );
        const heard = await listener.next();
        expect(heard.notice).toEqual({ user_id: user, max_id: pushed[2]!.id });
        // Called after commit: a reader asked from inside the handler already sees the op.
        expect(await heard.visibleAtNotice).toBe(pushed[2]!.id);
      } finally {
        await listener.stop();
      }
    });

    it("R19 (broadcast after commit): a refused or rolled-back batch and an all-duplicates batch call no handler", async () => {
      const [user, device] = [uuid(), uuid()];
      const listener = await listen(store(), ofUser(user));
      try {
        const first = upsert(5, "p1", "t", 1);
        const [stored] = await store().push(user, device, [first]);
        expect((await listener.next()).notice).toEqual({ user_id: user, max_id: stored!.id });

        // Refused by a lamport conflict: no notice.
        await expect(store().push(user, device, [upsert(3, "p1", "t", 2)])).rejects.toSatisfy(
          (error) => isSyncError(error, "lamport_conflict"),
        );
        // Rolled back after its first op passed: no notice either.
        await expect(
          store().push(user, device, [upsert(6, "p1", "t", 3), upsert(4, "p1", "t", 4)]),
        ).rejects.toSatisfy((error) => isSyncError(error, "lamport_conflict"));
        // Refused as operation_id_reused: no notice.
        await expect(
          store().push(user, device, [upsert(7, "p1", "t", 5), { ...first, value: 2 }]),
        ).rejects.toSatisfy((error) => isSyncError(error, "operation_id_reused"));
        // Only duplicates: nothing inserted, no notice.
        const [again] = await store().push(user, device, [first]);
        expect(again!.duplicate).toBe(true);

        await barrier(store(), user, listener);
        expect(listener.pending()).toBe(0);
      } finally {
        await listener.stop();
      }
    });

    it("R19 (broadcast after commit): a handler gets other users' pushes too; the caller filters by user_id", async () => {
      const [alice, bob] = [uuid(), uuid()];
      const listener = await listen(store(), (notice) => [alice, bob].includes(notice.user_id));
      try {
        const [forAlice] = await store().push(alice, uuid(), [upsert(1, "p1", "title", "a")]);
        const [forBob] = await store().push(bob, uuid(), [upsert(1, "p1", "title", "b")]);
        expect((await listener.next()).notice).toEqual({ user_id: alice, max_id: forAlice!.id });
        expect((await listener.next()).notice).toEqual({ user_id: bob, max_id: forBob!.id });
      } finally {
        await listener.stop();
      }
    });

    it("R19: stops calling a handler once its stop function resolved", async () => {
      const user = uuid();
      const stopped: PushNotice[] = [];
      const stop = await store().onPush((notice) => {
        if (notice.user_id === user) stopped.push(notice);
      });
      const listener = await listen(store(), ofUser(user));
      try {
        await stop();
        await barrier(store(), user, listener);
        expect(stopped).toEqual([]);
      } finally {
        await listener.stop();
      }
    });
  });
}
