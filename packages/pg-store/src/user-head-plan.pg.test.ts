import { beforeAll, describe, expect, it } from "vitest";
import {
  buffersOf,
  insertUpserts,
  openTestStore,
  type TestStore,
  upsert,
  uuid,
} from "./test-support.js";

let db: TestStore;
beforeAll(async () => {
  db = await openTestStore();
});

// R75 (head): the user's head, which every push, page and ACK reads, costs one index probe,
// wherever the user's ops sit in the log.
describe("the user's head (sync_user_head)", () => {
  it("is one probe for a user whose ops are all older than another user's", async () => {
    // A user who was busy, then quiet while another user wrote as much.
    const [quiet, busy, empty] = [uuid(), uuid(), uuid()];
    await insertUpserts(db.pool, quiet, uuid(), 20000);
    await insertUpserts(db.pool, busy, uuid(), 20000);
    // Statistics that know the log: two users, each a large share of it.
    await db.pool.query("ANALYZE sync_op");
    const plain = await buffersOf(db.pool, "SELECT max(id) FROM sync_op WHERE user_id = $1", [
      quiet,
    ]);
    // The plain aggregate walks the primary key down from the newest op,
    // through every op of the busy user.
    expect(plain).toBeGreaterThan(300);
    // A first call warms the connection's catalog cache for the function's planning.
    await buffersOf(db.pool, "SELECT sync_user_head($1)", [quiet]);
    for (const user of [quiet, busy, empty]) {
      expect(await buffersOf(db.pool, "SELECT sync_user_head($1)", [user])).toBeLessThan(10);
    }
  });

  it("is the user's highest op id, and 0 for a user with no ops", async () => {
    const [a, b, empty] = [uuid(), uuid(), uuid()];
    const device = uuid();
    // Interleaved pushes of two users, so neither user's ops are contiguous.
    for (let lamport = 1; lamport <= 4; lamport++) {
      for (const user of [a, b])
        await db.store.push(user, device, [upsert(lamport, "t", "x", lamport)]);
    }
    for (const user of [a, b, empty]) {
      const { rows } = await db.pool.query(
        "SELECT sync_user_head($1) AS head, coalesce(max(id), 0) AS plain FROM sync_op WHERE user_id = $1",
        [user],
      );
      expect(rows[0].head).toBe(rows[0].plain);
    }
  });
});
