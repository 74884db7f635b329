import { beforeAll, describe, expect, it } from "vitest";
import { PgSyncStore } from "./store.js";
import { openTestStore, type TestStore, upsert, uuid } from "./test-support.js";

let db: TestStore;
beforeAll(async () => {
  db = await openTestStore();
});

/** Shared buffers a statement touched, from EXPLAIN (ANALYZE, BUFFERS). */
async function buffersOf(sql: string, params: unknown[]): Promise<number> {
  const { rows } = await db.pool.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, params);
  const plan = rows[0]["QUERY PLAN"][0];
  return plan.Plan["Shared Hit Blocks"] + plan.Plan["Shared Read Blocks"];
}

async function insertOps(userId: string, count: number): Promise<void> {
  await db.pool.query(
    `INSERT INTO sync_op (user_id, device_id, operation_id, entity_type, entity_id, op, field, value, lamport_ts)
     SELECT $1, $2, gen_random_uuid(), 'track', 't' || n, 'upsert', 'title', to_jsonb(n), n
     FROM generate_series(1, $3::int) AS n`,
    [userId, uuid(), count],
  );
}

// R75 (head): the user's head, which every push, page and ACK reads, costs one index probe,
// wherever the user's ops sit in the log.
describe("the user's head (sync_user_head)", () => {
  it("is one probe for a user whose ops are all older than another user's", async () => {
    // A user who was busy, then quiet while another user wrote as much.
    const [quiet, busy, empty] = [uuid(), uuid(), uuid()];
    await insertOps(quiet, 20000);
    await insertOps(busy, 20000);
    // Statistics that know the log: two users, each a large share of it.
    await db.pool.query("ANALYZE sync_op");
    const plain = await buffersOf("SELECT max(id) FROM sync_op WHERE user_id = $1", [quiet]);
    // The plain aggregate walks the primary key down from the newest op,
    // through every op of the busy user.
    expect(plain).toBeGreaterThan(300);
    // A first call warms the connection's catalog cache for the function's planning.
    await buffersOf("SELECT sync_user_head($1)", [quiet]);
    for (const user of [quiet, busy, empty]) {
      expect(await buffersOf("SELECT sync_user_head($1)", [user])).toBeLessThan(10);
    }
  });

  it("is the user's highest op id, and 0 for a user with no ops", async () => {
    const [a, b, empty] = [uuid(), uuid(), uuid()];
    const store = new PgSyncStore({ pool: db.pool });
    const device = uuid();
    // Interleaved pushes of two users, so neither user's ops are contiguous.
    for (let lamport = 1; lamport <= 4; lamport++) {
      for (const user of [a, b])
        await store.push(user, device, [upsert(lamport, "t", "x", lamport)]);
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
