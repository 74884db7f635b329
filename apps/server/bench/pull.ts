/**
 * Pull throughput: a user's log read page by page over HTTP, beside the same
 * pages as paged SELECTs on the same cluster (rows as the driver returns them).
 */
import { randomUUID } from "node:crypto";
import { OPS_PATH, type PullResponse } from "@syncline/protocol";
import type { BenchServer } from "./bench-server.js";
import { interleave, ratioRow, SCALE, upserts } from "./measure.js";
import { insertRaw } from "./push.js";

/**
 * A page by the `(user_id, id)` index whatever the statistics say, as
 * Syncline's `sync_op_page` reads it: written as `user_id = $1 AND id > $2
 * ORDER BY id`, the planner takes the primary key and filters by user once
 * other users' ops sit below this one's (the push section's, in a full run):
 * the first page then reads all of them (128 ms for 800,000 measured), and
 * the baseline would measure that accident instead of reading the rows.
 */
const SELECT_PAGE = `SELECT id, device_id, operation_id, entity_type, entity_id, op, field, value, lamport_ts, wall_clock
FROM sync_op WHERE (user_id, id) > ($1, $2) AND (user_id, id) <= ($1, 9223372036854775807)
ORDER BY user_id, id LIMIT $3`;

/** Pages of `limit` over HTTP and as raw SELECTs, over one user's log. */
export async function benchPull(server: BenchServer): Promise<void> {
  const total = Math.round(100_000 * SCALE);
  const userId = randomUUID();
  await insertRaw(server.pool, userId, randomUUID(), upserts(total));
  // Statistics that know the log, as autovacuum's ANALYZE gives a production table: without
  // them the raw SELECT reads and sorts all of the user's later ops for every page.
  await server.pool.query("ANALYZE sync_op");
  const token = await server.token(userId);
  console.log(`pull: a log of ${total} ops, read from 0`);

  for (const limit of [1000, 5000]) {
    const rates = await interleave(
      async () => {
        let since = 0;
        let read = 0;
        const started = performance.now();
        for (;;) {
          const response = await fetch(`${server.url}${OPS_PATH}?since=${since}&limit=${limit}`, {
            headers: { authorization: `Bearer ${token}` },
          });
          const page = (await response.json()) as PullResponse;
          read += page.ops.length;
          if (!page.has_more) break;
          since = page.ops[page.ops.length - 1]!.id;
        }
        if (read !== total) throw new Error(`pulled ${read} of ${total}`);
        return read / ((performance.now() - started) / 1000);
      },
      async () => {
        let since = "0";
        let read = 0;
        const started = performance.now();
        for (;;) {
          const { rows } = await server.pool.query<{ id: string }>(SELECT_PAGE, [
            userId,
            since,
            limit,
          ]);
          read += rows.length;
          if (rows.length < limit) break;
          since = rows[rows.length - 1]!.id;
        }
        if (read !== total) throw new Error(`selected ${read} of ${total}`);
        return read / ((performance.now() - started) / 1000);
      },
      { warmUp: true },
    );
    ratioRow(`pull, limit ${limit} (ops/s)`, "paged SELECT", rates);
  }
}
