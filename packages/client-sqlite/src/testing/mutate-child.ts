/**
 * Child process of the crash test: mutates in a loop until it is killed.
 * Each mutation writes a row of the app's own `note` table and queues two
 * ops for it, in one transaction. Usage: `node --import tsx mutate-child.ts <db>`.
 */
import { createHttpTransport, createSyncClient } from "@syncline/client";
import { SqliteClientStore } from "../sqlite-store.js";

const store = new SqliteClientStore(process.argv[2]!);
store.db.exec("CREATE TABLE IF NOT EXISTS note (id TEXT PRIMARY KEY, n INTEGER NOT NULL)");
// Never started: the transport is never called, the queue only grows.
const client = createSyncClient({
  store,
  transport: createHttpTransport({ url: "http://127.0.0.1:9" }),
});
const insert = store.db.prepare("INSERT INTO note (id, n) VALUES (?, ?)");
let n = store.db.prepare("SELECT count(*) FROM note").pluck().get() as number;
process.stdout.write("ready\n");
for (;;) {
  n++;
  const id = `note-${n}`;
  client.mutate((tx) => {
    insert.run(id, n);
    tx.upsert("note", id, "n", n);
    tx.upsert("note", id, "title", `title ${n}`);
  });
}
