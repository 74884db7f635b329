import type { StoredOp } from "@syncline/protocol";
import type { SyncStore } from "../store.js";
import { upsert, uuid } from "./ops.js";

/**
 * A new user whose one device pushed `count` upserts of `title`, op `i` on
 * entity `entityOf(i)`.
 * @returns the user, the device and the stored ids in order
 */
export async function userWithUpserts(
  store: SyncStore,
  count: number,
  entityOf: (i: number) => string = (i) => `p${i}`,
): Promise<{ user: string; device: string; ids: number[] }> {
  const [user, device] = [uuid(), uuid()];
  const pushed = await store.push(
    user,
    device,
    Array.from({ length: count }, (_, i) => upsert(i + 1, entityOf(i), "title", i)),
  );
  return { user, device, ids: pushed.map((op) => op.id) };
}

/**
 * The user's whole log, paged through {@link SyncStore.pull} from 0 as a
 * device's (re)sync does: later pages continue the read (`resync`, R22).
 */
export async function pullAll(store: SyncStore, userId: string, limit = 1000): Promise<StoredOp[]> {
  const ops: StoredOp[] = [];
  let since = 0;
  for (;;) {
    const page = await store.pull(userId, { since, limit, resync: true });
    ops.push(...page.ops);
    if (!page.has_more) return ops;
    since = page.ops.at(-1)!.id;
  }
}

/** Everything the port shows of one user: log, head, watermark and the named devices' cursors. */
export interface UserView {
  readonly ops: StoredOp[];
  readonly head: number;
  readonly compactedUpTo: number;
  /** Cursor per device id, in the order asked. */
  readonly cursors: number[];
}

/**
 * What the port shows of a user; two equal views mean nothing observable
 * changed (the port's form of comparing the user's rows).
 */
export async function viewOfUser(
  store: SyncStore,
  userId: string,
  deviceIds: readonly string[],
): Promise<UserView> {
  return {
    ops: await pullAll(store, userId),
    head: await store.headId(userId),
    compactedUpTo: await store.compactedUpTo(userId),
    cursors: await Promise.all(deviceIds.map((deviceId) => store.cursor(userId, deviceId))),
  };
}
