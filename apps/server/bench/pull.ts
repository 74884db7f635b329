/**
 * Pull throughput: a user's log read page by page over HTTP, beside the same
 * pages as paged SELECTs on the same cluster (rows as the driver returns them);
 * then beside a bare `node:http` server that sends the store's same page with
 * no route around it, which tells what the route costs and what HTTP does.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { PgSyncStore } from "@syncline/pg-store";
import { OPS_PATH, type PullResponse } from "@syncline/protocol";
import { pullResponseBody } from "@syncline/server-core";
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

/**
 * A bare `node:http` server answering `GET ?since=N&limit=M` with the store's
 * page of `userId` as the route's body: no auth, no validation, no middleware.
 */
async function startBarePull(
  store: PgSyncStore,
  userId: string,
): Promise<{ url: string; stop(): Promise<void> }> {
  const http = createServer((request, response) => {
    const query = new URL(request.url ?? "/", "http://bench").searchParams;
    store
      .pullEncoded(userId, { since: Number(query.get("since")), limit: Number(query.get("limit")) })
      .then((page) => {
        const body = pullResponseBody(page);
        response.writeHead(200, {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
        });
        response.end(body);
      })
      .catch((error: unknown) => {
        response.writeHead(500).end(String(error));
      });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}${OPS_PATH}`,
    async stop() {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

/**
 * Reads all `total` ops of a log page by page from `url` (`?since&limit`),
 * each page parsed as a client parses it, and returns ops per second.
 */
async function pullOverHttp(
  url: string,
  headers: Record<string, string>,
  limit: number,
  total: number,
): Promise<number> {
  let since = 0;
  let read = 0;
  const started = performance.now();
  for (;;) {
    const response = await fetch(`${url}?since=${since}&limit=${limit}`, { headers });
    const page = (await response.json()) as PullResponse;
    read += page.ops.length;
    if (!page.has_more) break;
    since = page.ops[page.ops.length - 1]!.id;
  }
  if (read !== total) throw new Error(`pulled ${read} of ${total}`);
  return read / ((performance.now() - started) / 1000);
}

/** Pages of `limit` over HTTP, as raw SELECTs and over bare HTTP, over one user's log. */
export async function benchPull(server: BenchServer): Promise<void> {
  const total = Math.round(100_000 * SCALE);
  const userId = randomUUID();
  await insertRaw(server.pool, userId, randomUUID(), upserts(total));
  // Statistics that know the log, as autovacuum's ANALYZE gives a production table: without
  // them the raw SELECT reads and sorts all of the user's later ops for every page.
  await server.pool.query("ANALYZE sync_op");
  const headers = { authorization: `Bearer ${await server.token(userId)}` };
  const route = `${server.url}${OPS_PATH}`;
  const store = new PgSyncStore({ pool: server.pool });
  const bare = await startBarePull(store, userId);
  console.log(`pull: a log of ${total} ops, read from 0`);

  try {
    for (const limit of [1000, 5000]) {
      const rates = await interleave(
        () => pullOverHttp(route, headers, limit, total),
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
      const floor = await interleave(
        () => pullOverHttp(route, headers, limit, total),
        () => pullOverHttp(bare.url, {}, limit, total),
        { warmUp: true },
      );
      ratioRow(
        `pull, limit ${limit}, route vs HTTP alone (ops/s)`,
        "same page, bare node:http",
        floor,
      );
    }
  } finally {
    await bare.stop();
    await store.close();
  }
}
