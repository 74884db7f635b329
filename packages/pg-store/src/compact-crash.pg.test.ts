import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { materialize, type Op, reduceOps } from "@syncline/protocol";
import { beforeAll, describe, expect, it } from "vitest";
import {
  openTestStore,
  pullAll,
  remove,
  snapshotUser,
  type TestStore,
  upsert,
  uuid,
} from "./test-support.js";

let db: TestStore;
beforeAll(async () => {
  db = await openTestStore();
});

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const CHILD = fileURLToPath(new URL("./fixtures/compact-until-killed.ts", import.meta.url));
const NOW = new Date("2030-01-01T00:00:00Z");

/** Starts the fixture: it compacts `userId` in slices of `sliceOps` until killed. */
function startCompaction(userId: string, sliceOps: number): ChildProcess {
  return spawn(
    process.execPath,
    ["--import", "tsx", CHILD, db.url, userId, NOW.toISOString(), String(sliceOps)],
    { cwd: PACKAGE_DIR, stdio: ["ignore", "pipe", "pipe"] },
  );
}

/**
 * Resolves once the child's compaction waits for a lock: its first slice
 * removed its ops and now waits for the watermark row the test holds.
 * Rejects if the child exits first.
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

/**
 * SIGKILLs the child as soon as it reports its `slices`-th committed slice,
 * wherever its next slice is by then (between two transactions, or inside
 * one). Rejects if the child exits first.
 */
async function killAfterSlices(child: ChildProcess, slices: number): Promise<void> {
  const exited = once(child, "exit");
  let stderr = "";
  child.stderr!.on("data", (chunk) => {
    stderr += chunk;
  });
  let reported = 0;
  for await (const _line of createInterface({ input: child.stdout! })) {
    if (++reported === slices) {
      child.kill("SIGKILL");
      break;
    }
  }
  const [, signal] = await exited;
  if (signal !== "SIGKILL") {
    throw new Error(`child exited by itself after ${reported} slices:\n${stderr}`);
  }
}

/** 300 ops of one device on 5 entities, two fields each, an entity deleted every 25 ops. */
function longLog(): Op[] {
  return Array.from({ length: 300 }, (_, i) =>
    i % 25 === 24
      ? remove(i + 1, `p${i % 5}`)
      : upsert(i + 1, `p${i % 5}`, i % 2 === 0 ? "title" : "cover", i),
  );
}

describe("compaction under a real crash (R60)", () => {
  it("R60: a process SIGKILLed inside a slice, between its removal and its watermark update, leaves nothing of that slice; a rerun completes", async () => {
    const [user, device] = [uuid(), uuid()];
    const ops = Array.from({ length: 30 }, (_, i) => upsert(i + 1, `p${i % 3}`, "title", i));
    const pushed = await db.store.push(user, device, ops);
    await db.store.ack(user, device, pushed[24]!.id, NOW);
    // The watermark row exists and this test holds it: the first slice's last
    // statement waits for it, inside the slice's transaction, after the removal.
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

    const child = startCompaction(user, 5);
    try {
      await waitUntilBlocked(child);
      // The slice's DELETE ran: its uncommitted transaction holds its 5 rows, no more.
      expect(await unlockedRows(user)).toBe(30 - 5);
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

  it("R60: a process SIGKILLed at a random slice leaves a consistent, partially compacted log; a rerun ends where an uninterrupted run does", async () => {
    const [user, twin, device] = [uuid(), uuid(), uuid()];
    const ops = longLog();
    const pushed = await db.store.push(user, device, ops);
    const pushedTwin = await db.store.push(twin, device, ops);
    const min = pushed[279]!.id;
    await db.store.ack(user, device, min, NOW);
    await db.store.ack(twin, device, pushedTwin[279]!.id, NOW);
    const original = await pullAll(db.store, user);
    const uninterrupted = await db.store.compactUser(twin, { now: NOW });
    // 270 ops to remove, 90 slices of 3: the kill comes early enough that the run cannot end first.
    const killAfter = 1 + Math.floor(Math.random() * 20);
    const why = `killed after slice ${killAfter}`;

    await killAfterSlices(startCompaction(user, 3), killAfter);
    await waitForNoOpenTransaction();

    // Partially compacted, consistently: every removed op is remembered and
    // below the watermark, the watermark at most MIN, the state unchanged.
    const partial = await pullAll(db.store, user);
    const watermark = await db.store.compactedUpTo(user);
    const kept = new Set(partial.map((op) => op.id));
    const removed = original.filter((op) => !kept.has(op.id)).map((op) => op.id);
    const { rows: retired } = await db.pool.query<{ id: string }>(
      "SELECT id FROM sync_op_retired WHERE user_id = $1 ORDER BY id",
      [user],
    );
    expect(
      retired.map((row) => Number(row.id)),
      why,
    ).toEqual(removed);
    expect(removed.length, why).toBeGreaterThanOrEqual(3 * killAfter);
    expect(Math.max(...removed), why).toBeLessThan(watermark);
    expect(watermark, why).toBeLessThan(min);
    expect(materialize(reduceOps(partial)), why).toEqual(materialize(reduceOps(original)));
    // A device at the watermark (the lowest cursor a pull still accepts) converges too.
    const atWatermark = reduceOps(original.filter((op) => op.id <= watermark));
    expect(
      materialize(
        reduceOps(
          partial.filter((op) => op.id > watermark),
          atWatermark,
        ),
      ),
      why,
    ).toEqual(materialize(reduceOps(original)));

    const rerun = await db.store.compactUser(user, { now: NOW });
    expect(rerun, why).toEqual({
      userId: user,
      previousCompactedUpTo: watermark,
      compactedUpTo: min,
      deleted: uninterrupted!.deleted - removed.length,
    });
    const [log, twinLog] = [await pullAll(db.store, user), await pullAll(db.store, twin)];
    expect(
      log.map((op) => op.operation_id),
      why,
    ).toEqual(twinLog.map((op) => op.operation_id));
    expect(await db.store.compactedUpTo(user)).toBe(min);
  });
});
