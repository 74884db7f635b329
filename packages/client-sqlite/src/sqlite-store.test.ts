import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeClientStore } from "@syncline/client/conformance";
import Sqlite from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteClientStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "syncline-sqlite-"));
const opened: SqliteClientStore[] = [];
let files = 0;

function open(path = join(dir, `store-${++files}.db`)): SqliteClientStore {
  const store = new SqliteClientStore(path);
  opened.push(store);
  return store;
}

afterAll(() => {
  for (const store of opened) store.close();
  rmSync(dir, { recursive: true, force: true });
});

describeClientStore("SqliteClientStore", () => {
  const path = join(dir, `store-${++files}.db`);
  const store = open(path);
  return {
    store,
    reopen: () => {
      store.close();
      return open(path);
    },
  };
});

describe("SqliteClientStore", () => {
  it("uses WAL mode and keeps the server state in plain tables apps can query", () => {
    const store = open();
    expect(store.db.pragma("journal_mode", { simple: true })).toBe("wal");
    store.transaction((tx) => {
      tx.setField("note", "n1", "title", { text: "Hi" }, 4);
      tx.setTombstone("note", "n2", 5);
    });
    expect(store.db.prepare("SELECT * FROM syncline_field").all()).toEqual([
      { entity_type: "note", entity_id: "n1", field: "title", value: '{"text":"Hi"}', id: 4 },
    ]);
    expect(store.db.prepare("SELECT * FROM syncline_tombstone").all()).toEqual([
      { entity_type: "note", entity_id: "n2", id: 5 },
    ]);
  });

  it("works over a Database the app owns, sharing its transactions", () => {
    const db = new Sqlite(join(dir, "app-owned.db"));
    db.exec("CREATE TABLE note (id TEXT PRIMARY KEY)");
    const store = new SqliteClientStore(db);
    expect(() =>
      store.transaction((tx) => {
        tx.db.prepare("INSERT INTO note (id) VALUES ('n1')").run();
        tx.setLamport(3);
        throw new Error("rolled back");
      }),
    ).toThrow("rolled back");
    expect(db.prepare("SELECT count(*) FROM note").pluck().get()).toBe(0);
    expect(store.transaction((tx) => tx.lamport())).toBe(0);
    store.close(); // the app's connection stays open
    expect(db.open).toBe(true);
    db.close();
  });

  it("reads numbers as numbers even when the app turned on safe integers", () => {
    const db = new Sqlite(join(dir, "safe-integers.db"));
    db.defaultSafeIntegers(true);
    const store = new SqliteClientStore(db);
    store.transaction((tx) => tx.setCursor(Number.MAX_SAFE_INTEGER));
    expect(store.transaction((tx) => tx.cursor())).toBe(Number.MAX_SAFE_INTEGER);
    db.close();
  });
});
