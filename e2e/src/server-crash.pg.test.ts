import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { testDevice } from "./testing/device.js";
import { useServerEnvironment } from "./testing/server-environment.js";

const environment = useServerEnvironment();
const PAUSE_AFTER_PUSH = fileURLToPath(new URL("./testing/pause-after-push.ts", import.meta.url));
const start = environment.start;

async function storedOps(userId: string): Promise<Array<{ id: number; operation_id: string }>> {
  const { rows } = await environment.pool.query(
    "SELECT id, operation_id FROM sync_op WHERE user_id = $1 ORDER BY id",
    [userId],
  );
  return rows.map((row) => ({ id: Number(row.id), operation_id: row.operation_id }));
}

// R14, R17 (idempotent retry): kill the server mid-push; a retry with the same operation_id is stored once.
it("server killed after the commit, before the response: the retry gets the same ids, no duplicates", async () => {
  const paused = await start({}, { preload: PAUSE_AFTER_PUSH });
  const device = await testDevice(environment.env);
  const batch = [
    device.op("p1", "title", "a"),
    device.op("p1", "color", "b"),
    device.op("p2", "title", "c"),
  ];
  const lost = device.push(paused.url, batch).then(
    () => "answered",
    () => "connection lost",
  );
  const committed = await paused.waitForLog(
    (line) => line.msg === "test hook: push committed, pausing",
  );
  expect(await paused.kill("SIGKILL")).toEqual({ code: null, signal: "SIGKILL" });
  expect(await lost).toBe("connection lost");

  const restarted = await start();
  const retried = await device.push(restarted.url, batch);
  expect(retried.map((op) => op.id)).toEqual(committed.ids);
  expect(retried.every((op) => op.duplicate)).toBe(true);
  expect((await storedOps(device.userId)).map((op) => op.operation_id)).toEqual(
    batch.map((op) => op.operation_id),
  );
});

// A push waiting for the user's lock when its server dies runs on in PostgreSQL as one
// statement (the one-round-trip push), so it lands once the lock frees, or never: either
// way the retry is answered with the ids stored once, and nothing is stored twice.
it("server killed while its push waits for the lock: the push lands once or never, and the retry gets the same ids", async () => {
  const server = await start();
  const device = await testDevice(environment.env);
  const batch = [device.op("p1", "title", "a"), device.op("p1", "title", "b")];
  // Hold the user's push lock (pg-store's per-user advisory lock: namespace
  // 0x53594e43, hashtext(user_id)) so the push waits inside its transaction.
  const blocker = await environment.pool.connect();
  await blocker.query("SELECT pg_advisory_lock($1, hashtext($2))", [0x53594e43, device.userId]);
  const lockWaiters = async () => {
    const { rows } = await environment.pool.query(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' AND datname = current_database()",
    );
    return Number(rows[0].n);
  };
  const lost = device.push(server.url, batch).then(
    () => "answered",
    () => "connection lost",
  );
  for (let i = 0; i < 200 && (await lockWaiters()) === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await server.kill("SIGKILL");
  expect(await lost).toBe("connection lost");
  // Nothing lands while the lock is held.
  expect(await storedOps(device.userId)).toEqual([]);
  await blocker.query("SELECT pg_advisory_unlock($1, hashtext($2))", [0x53594e43, device.userId]);
  blocker.release();
  // The orphaned push has the lock now: wait until its statement has ended.
  const orphanRunning = async () => {
    const { rows } = await environment.pool.query(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND query LIKE '%sync_push%' AND datname = current_database()",
    );
    return Number(rows[0].n);
  };
  await expect.poll(lockWaiters).toBe(0);
  await expect.poll(orphanRunning).toBe(0);
  const landed = await storedOps(device.userId);
  expect([0, batch.length]).toContain(landed.length);

  const restarted = await start();
  const retried = await device.push(restarted.url, batch);
  expect(retried.map((op) => op.duplicate)).toEqual(batch.map(() => landed.length > 0));
  if (landed.length > 0) expect(retried.map((op) => op.id)).toEqual(landed.map((op) => op.id));
  const again = await device.push(restarted.url, batch);
  expect(again.map((op) => op.id)).toEqual(retried.map((op) => op.id));
  expect(await storedOps(device.userId)).toEqual(
    retried.map((op) => ({ id: op.id, operation_id: op.operation_id })),
  );
});
