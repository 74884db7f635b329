import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSyncClient, type SyncClient } from "@syncline/client";
import { materialize, reduceOps } from "@syncline/protocol";
import { type InProcessServer, startInProcessServer, until } from "@syncline/testkit";
import type { Database } from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteClientStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "syncline-engine-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A client over a SQLite file whose app keeps its own `note` table in step:
 * inside onApply it writes what the user sees (`client.read`, in the same
 * transaction), and on a reset (a snapshot, C13) rebuilds it from `batch.list`.
 */
function open(path: string, server: InProcessServer) {
  const store = new SqliteClientStore(path);
  store.db.exec("CREATE TABLE IF NOT EXISTS note (id TEXT PRIMARY KEY, title TEXT)");
  const client: SyncClient<Database> = createSyncClient<Database>({
    store,
    transport: server.transport(),
    token: server.token(),
    scheduler: server.scheduler,
    onApply: (db, batch) => {
      const write = (id: string, visible: Record<string, unknown> | undefined) => {
        if (!visible) db.prepare("DELETE FROM note WHERE id = ?").run(id);
        else {
          db.prepare(
            "INSERT INTO note (id, title) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET title = excluded.title",
          ).run(id, visible.title as string);
        }
      };
      if (batch.reset) {
        db.exec("DELETE FROM note");
        for (const [id, visible] of Object.entries(batch.list("note"))) write(id, visible);
        return;
      }
      for (const op of batch.ops) write(op.entity_id, client.read(op.entity_type, op.entity_id));
    },
  });
  const notes = () => store.db.prepare("SELECT id, title FROM note ORDER BY id").all();
  return { store, client, notes };
}

describe("the sync engine over SQLite", () => {
  it("queues durably across a reopen, syncs two devices, and keeps app tables in step", async () => {
    const server = startInProcessServer();
    const a = open(join(dir, "a.db"), server);
    a.client.mutate((tx) => {
      tx.db.prepare("INSERT INTO note (id, title) VALUES ('n1', 'draft')").run();
      tx.upsert("note", "n1", "title", "draft");
    });
    a.store.close();

    const reopened = open(join(dir, "a.db"), server);
    expect(reopened.client.status.pendingCount).toBe(1);
    reopened.client.start();
    await until(() => reopened.client.status.state === "synced");
    expect((await server.log()).map((op) => op.value)).toEqual(["draft"]);

    const b = open(join(dir, "b.db"), server);
    b.client.start();
    await until(() => b.client.status.state === "synced");
    expect(b.notes()).toEqual([{ id: "n1", title: "draft" }]);
    await b.client.mutate((tx) => {
      tx.upsert("note", "n1", "title", "final");
      tx.upsert("note", "n2", "title", "second");
    }).confirmed;
    await until(() => reopened.notes().length === 2);
    await b.client.mutate((tx) => tx.delete("note", "n2")).confirmed;
    await until(() => reopened.notes().length === 1);

    const expected = materialize(reduceOps(await server.log())).note;
    for (const device of [reopened, b]) {
      expect(device.client.list("note")).toEqual(expected);
      expect(device.notes()).toEqual([{ id: "n1", title: "final" }]);
    }
    await reopened.client.stop();
    await b.client.stop();
    reopened.store.close();
    b.store.close();
  });
});
