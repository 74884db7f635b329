import type { StoredOp } from "@syncline/protocol";
import { describe, expect, it } from "vitest";
import type { SyncStore } from "../store.js";
import { pullAll } from "./log.js";
import { upsert, uuid } from "./ops.js";
import { type OpenConformanceSubject, storeUnderTest } from "./subject.js";

/** Pulls `userId`'s log from its own cursor, in pages of 5, until `stop()` held before a page that ended the log. */
async function follow(store: SyncStore, userId: string, stop: () => boolean): Promise<StoredOp[]> {
  const seen: StoredOp[] = [];
  let cursor = 0;
  for (;;) {
    const stopping = stop();
    const page = await store.pull(userId, { since: cursor, limit: 5 });
    seen.push(...page.ops);
    if (page.ops.length > 0) cursor = page.ops.at(-1)!.id;
    if (stopping && !page.has_more) return seen;
  }
}

function expectStrictlyIncreasing(ops: StoredOp[]): void {
  for (let i = 1; i < ops.length; i++) expect(ops[i]!.id).toBeGreaterThan(ops[i - 1]!.id);
}

/** A user's ops become visible in id order, so a reader's cursor never skips one (R18). */
export function describeVisibilityConformance(open: OpenConformanceSubject): void {
  describe("no skipped ops (a user's ops become visible in id order)", () => {
    const store = storeUnderTest(open);

    it("R18 (no skipped ops): readers pulling from their cursors while many devices push see every op exactly once", async () => {
      const user = uuid();
      const pushers = 16;
      let pushing = pushers;
      const pushes = Array.from({ length: pushers }, async (_, pusher) => {
        const device = uuid();
        let lamport = 0;
        for (let batch = 0; batch < 12; batch++) {
          const size = 1 + ((pusher * 7 + batch * 3) % 9);
          const ops = Array.from({ length: size }, (_, i) =>
            upsert(++lamport, `e${(pusher + i) % 5}`, `f${batch % 3}`, { pusher, batch, i }),
          );
          await store().push(user, device, ops);
        }
        pushing--;
      });
      const followers = Array.from({ length: 3 }, () => follow(store(), user, () => pushing === 0));

      const [seenByEach] = await Promise.all([Promise.all(followers), Promise.all(pushes)]);
      const log = await pullAll(store(), user);
      expect(log.length).toBeGreaterThan(pushers * 12);
      for (const seen of seenByEach) {
        expectStrictlyIncreasing(seen);
        expect(seen).toEqual(log);
      }
    });
  });
}
