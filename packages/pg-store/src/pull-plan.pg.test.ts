import { beforeAll, describe, expect, it } from "vitest";
import { buffersOf, insertUpserts, openTestStore, type TestStore, uuid } from "./test-support.js";

let db: TestStore;
beforeAll(async () => {
  db = await openTestStore();
});

// R20 (pages): a page costs what it holds, whatever the planner's statistics say.
describe("pull pages in index order, whatever the statistics say", () => {
  it("reads a page in index order, not all of the user's later ops, when ANALYZE last saw the user with no ops", async () => {
    const [user, device] = [uuid(), uuid()];
    // This file's own database: statistics stay as ANALYZE leaves them.
    await db.pool.query("ALTER TABLE sync_op SET (autovacuum_enabled = false)");
    await db.pool.query("ANALYZE sync_op");
    await insertUpserts(db.pool, user, device, 20000);
    const plain = await buffersOf(
      db.pool,
      "SELECT * FROM sync_op WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT 100",
      [user, 0],
    );
    const paged = await buffersOf(db.pool, "SELECT * FROM sync_op_page($1, $2, 100)", [user, 0]);
    // The stale statistics do mislead the plain statement: it reads every page of the log.
    expect(plain).toBeGreaterThan(300);
    // One page of 100 small ops: a few heap pages and the index path to them.
    expect(paged).toBeLessThan(30);
  });

  it("reads a page of a user with few ops in index order when other users' ops fill the log", async () => {
    const [big, small, device] = [uuid(), uuid(), uuid()];
    await insertUpserts(db.pool, big, device, 20000);
    // Statistics that know the log: a few users, so each user's share looks large.
    await db.pool.query("ANALYZE sync_op");
    await insertUpserts(db.pool, small, device, 3);
    const lastId = Number(
      (await db.pool.query("SELECT max(id) AS id FROM sync_op WHERE user_id = $1", [small])).rows[0]
        .id,
    );
    // The user's three ops come after all of the others, so a scan in id order
    // filtered by the user reads the whole log first: from 0, and for nothing
    // from past the last op.
    // A first call warms the connection's catalog cache, which the function's
    // planning reads (its hits count among the statement's buffers).
    await buffersOf(db.pool, "SELECT * FROM sync_op_page($1, $2, 100)", [small, 0]);
    for (const since of [0, lastId]) {
      expect(
        await buffersOf(db.pool, "SELECT * FROM sync_op_page($1, $2, 100)", [small, since]),
      ).toBeLessThan(30);
    }
  });
});
