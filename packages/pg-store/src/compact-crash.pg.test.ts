import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { openTestStore, snapshotUser, type TestStore, upsert, uuid } from "./test-support.js";

let db: TestStore;
beforeAll(async () => {
  db = await openTestStore();
});

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const CHILD = fileURLToPath(new URL("./fixtures/compact-until-killed.ts", import.meta.url));
const NOW = new Date("2030-01-01T00:00:00Z");

/**
 * Resolves once the child's compaction waits for a lock: it collapsed and now
 * waits for the watermark row the test holds. Rejects if the child exits first.
 */
async function waitUntilBlocked(child: ChildProcess): Promise<void> {
  let stderr = "";
  child.stderr!.on("data", (chunk) => {
    stderr += chunk;
  });
  let exited = false;
  child.on("exit", () => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error(`child exited early:\n${stderr}`);
    const { rows } = await db.pool.query(
      `SELECT 1 FROM pg_stat_activity
       WHERE application_name = 'compact-until-killed' AND wait_event_type = 'Lock'`,
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Rows of the user that no other transaction holds a lock on. */
async function unlockedRows(userId: string): Promise<number> {
  const { rows } = await db.pool.query(
    "SELECT id FROM sync_op WHERE user_id = $1 FOR UPDATE SKIP LOCKED",
    [userId],
  );
  return rows.length;
}

/** Waits until no session of this database is inside a transaction any more (the killed one rolled back). */
async function waitForNoOpenTransaction(): Promise<void> {
  for (;;) {
    const { rows } = await db.pool.query(
      `SELECT 1 FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL`,
    );
    if (rows.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("compaction atomicity under a real crash", () => {
  // R60 (atomic compaction)
  it("a process SIGKILLed between collapse and watermark update changes nothing; a rerun completes", async () => {
    const [user, device] = [uuid(), uuid()];
    const ops = Array.from({ length: 30 }, (_, i) => upsert(i + 1, `p${i % 3}`, "title", i));
    const pushed = await db.store.push(user, device, ops);
    await db.store.ack(user, device, pushed[24]!.id, NOW);
    // The watermark row exists and this test holds it: the compaction's last
    // statement waits for it, inside the transaction, after the collapse.
    await db.pool.query(
      "INSERT INTO sync_compaction_watermark (user_id, compacted_up_to) VALUES ($1, 0)",
      [user],
    );
    const before = await snapshotUser(db.pool, user);
    const holder = await db.pool.connect();
    await holder.query("BEGIN");
    await holder.query("SELECT 1 FROM sync_compaction_watermark WHERE user_id = $1 FOR UPDATE", [
      user,
    ]);

    const child = spawn(
      process.execPath,
      ["--import", "tsx", CHILD, db.url, user, NOW.toISOString()],
      {
        cwd: PACKAGE_DIR,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    try {
      await waitUntilBlocked(child);
      // The child's DELETE ran: its uncommitted transaction holds the doomed rows.
      expect(await unlockedRows(user)).toBe(30 - 21);
    } finally {
      child.kill("SIGKILL");
    }
    const [, signal] = await once(child, "exit");
    expect(signal).toBe("SIGKILL");
    await holder.query("ROLLBACK");
    holder.release();
    await waitForNoOpenTransaction();

    expect(await snapshotUser(db.pool, user)).toEqual(before);
    expect(await unlockedRows(user)).toBe(30);

    const rerun = await db.store.compactUser(user, { now: NOW });
    expect(rerun).toEqual({
      userId: user,
      previousCompactedUpTo: 0,
      compactedUpTo: pushed[24]!.id,
      deleted: 21,
    });
    expect(await db.store.compactedUpTo(user)).toBe(pushed[24]!.id);
  });
});
