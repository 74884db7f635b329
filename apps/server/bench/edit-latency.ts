/**
 * End to end: an edit on one SQLite client until another client of the user
 * has applied it (no raw baseline: this is the figure users feel).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHttpTransport, createSyncClient } from "@syncline/client";
import { SqliteClientStore } from "@syncline/client-sqlite";
import type { BenchServer } from "./bench-server.js";
import { quantile, SCALE, sleep } from "./measure.js";

/** 200 edits, each timed until the other client applied it. */
export async function benchEditLatency(server: BenchServer): Promise<void> {
  const edits = Math.max(20, Math.round(200 * SCALE));
  const dir = await mkdtemp(join(tmpdir(), "syncline-edit-"));
  const token = await server.token(undefined, null);
  const appliedAt = new Map<string, number>();
  const stores = [0, 1].map((i) => new SqliteClientStore(join(dir, `client-${i}.db`)));
  const clients = stores.map((store) =>
    createSyncClient({
      store,
      transport: createHttpTransport({ url: server.url }),
      token,
      onApply: (_db, batch) => {
        for (const op of batch.ops) appliedAt.set(op.operation_id, performance.now());
      },
    }),
  );
  const [editor] = clients as [(typeof clients)[number]];
  try {
    for (const client of clients) client.start();
    while (clients.some((client) => client.status.state !== "synced")) await sleep(10);
    const latencies: number[] = [];
    for (let i = 0; i < edits; i++) {
      const started = performance.now();
      const edit = editor.mutate((tx) => tx.upsert("playlist", "p1", "title", `edit ${i}`));
      const id = edit.ops[0]!.operation_id;
      while (!appliedAt.has(id)) await sleep(1);
      latencies.push(appliedAt.get(id)! - started);
    }
    latencies.sort((a, b) => a - b);
    console.log(`edit on one SQLite client → applied on another, ${edits} edits`);
    console.log(
      `  median ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms`,
    );
  } finally {
    for (const client of clients) await client.stop();
    for (const store of stores) store.close();
    await rm(dir, { recursive: true, force: true });
  }
}
