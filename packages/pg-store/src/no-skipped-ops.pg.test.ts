import type { StoredOp } from "@syncline/protocol";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushInTransaction } from "./push.js";
import { PgSyncStore } from "./store.js";
import { openTestStore, pullAll, type TestStore, upsert, uuid } from "./test-support.js";
import { inTransaction } from "./transaction.js";

let db: TestStore;
let readers: PgSyncStore;
beforeAll(async () => {
  db = await openTestStore();
  const readerPool = new pg.Pool({ connectionString: db.url, max: 4 });
  readers = new PgSyncStore({ pool: readerPool });
  afterAll(() => readerPool.end());
});

/** Pulls from its own cursor until `stop()` holds and the log is drained. */
async function follow(user: string, stop: () => boolean): Promise<StoredOp[]> {
  const seen: StoredOp[] = [];
  let cursor = 0;
  for (;;) {
    const stopping = stop();
    const page = await readers.pull(user, { since: cursor, limit: 5 });
    seen.push(...page.ops);
    if (page.ops.length > 0) cursor = page.ops.at(-1)!.id;
    if (stopping && !page.has_more) return seen;
  }
}

function expectStrictlyIncreasing(ops: StoredOp[]): void {
  for (let i = 1; i < ops.length; i++) expect(ops[i]!.id).toBeGreaterThan(ops[i - 1]!.id);
}

describe("no skipped ops (a user's ops become visible in id order)", () => {
  // R18 (no skipped ops)
  it("readers pulling from their cursors while many devices push see every op exactly once", async () => {
    const user = uuid();
    const pushers = 16;
    let pushing = pushers;
    const pushing$ = Array.from({ length: pushers }, async (_, pusher) => {
      const device = uuid();
      let lamport = 0;
      for (let batch = 0; batch < 12; batch++) {
        const size = 1 + ((pusher * 7 + batch * 3) % 9);
        const ops = Array.from({ length: size }, (_, i) =>
          upsert(++lamport, `e${(pusher + i) % 5}`, `f${batch % 3}`, { pusher, batch, i }),
        );
        await db.store.push(user, device, ops);
      }
      pushing--;
    });
    const followers = Array.from({ length: 3 }, () => follow(user, () => pushing === 0));

    const [seenByEach] = await Promise.all([Promise.all(followers), Promise.all(pushing$)]);
    const log = await pullAll(db.store, user);
    expect(log.length).toBeGreaterThan(pushers * 12);
    for (const seen of seenByEach) {
      expectStrictlyIncreasing(seen);
      expect(seen).toEqual(log);
    }
  });

  // R18 (no skipped ops)
  it("a push that got higher ids waits for the earlier one to commit before it becomes visible", async () => {
    const user = uuid();
    const client = await db.pool.connect();
    let fast: Promise<unknown> | undefined;
    const seen: StoredOp[] = [];
    let cursor = 0;
    const readPage = async () => {
      const page = await readers.pull(user, { since: cursor });
      seen.push(...page.ops);
      if (page.ops.length > 0) cursor = page.ops.at(-1)!.id;
    };
    try {
      await inTransaction(client, async () => {
        // The slow push has its ids; a second push of the same user starts now.
        await pushInTransaction(client, user, uuid(), [upsert(1, "p1", "title", "slow")]);
        let settled = false;
        fast = db.store.push(user, uuid(), [upsert(1, "p1", "title", "fast")]).finally(() => {
          settled = true;
        });
        // Wait until the fast push either committed (no serialization) or queues on the user lock.
        await waitForLockWaiter(db.pool, () => settled);
        await readPage();
      });
    } finally {
      client.release();
    }
    await fast;
    await readPage();
    const log = await pullAll(db.store, user);
    expect(log.map((op) => op.value)).toEqual(["slow", "fast"]);
    expect(seen).toEqual(log);
  });
});

/** Resolves once a session of this database waits for an advisory lock, or `done()` holds. */
async function waitForLockWaiter(pool: pg.Pool, done: () => boolean): Promise<void> {
  while (!done()) {
    const { rows } = await pool.query(
      `SELECT 1 FROM pg_locks
       WHERE locktype = 'advisory' AND NOT granted
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
