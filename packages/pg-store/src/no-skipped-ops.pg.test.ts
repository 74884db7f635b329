import type { StoredOp } from "@syncline/protocol";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { beginLockedByUser } from "./locks.js";
import { pushInTransaction, serializeBatch } from "./push.js";
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

describe("no skipped ops (a user's ops become visible in id order)", () => {
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
      await inTransaction(
        client,
        async () => {
          // The slow push has its ids; a second push of the same user starts now. It is all
          // new ops, so it takes the one-round-trip path, which must wait for the same lock.
          await pushInTransaction(
            client,
            user,
            uuid(),
            serializeBatch([upsert(1, "p1", "title", "slow")]),
            db.store.origin,
          );
          let settled = false;
          fast = db.store.push(user, uuid(), [upsert(1, "p1", "title", "fast")]).finally(() => {
            settled = true;
          });
          // Wait until the fast push either committed (no serialization) or queues on the user lock.
          await waitForLockWaiter(db.pool, () => settled);
          await readPage();
        },
        beginLockedByUser(user),
      );
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
