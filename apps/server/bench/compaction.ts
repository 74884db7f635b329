/**
 * Compaction of a 1M-op log (900k superseded) beside one raw DELETE of the
 * same rows, both while 25 devices push to the compacted user and 5 to
 * another user over HTTP; with the pushes' latency during each run against
 * the same pushers' latency just before it (idle).
 */
import { randomUUID } from "node:crypto";
import { PgSyncStore, SUPERSEDED_OPS_SQL } from "@syncline/pg-store";
import { OPS_PATH } from "@syncline/protocol";
import type { BenchServer } from "./bench-server.js";
import { loadHistory } from "./history.js";
import { interleave, median, quantile, report, SCALE, sleep, upserts } from "./measure.js";

/** Versions of each field: 10, so 90% of the log is superseded. */
const VERSIONS = 10;
const COMPACTED_PUSHERS = 25;
const OTHER_PUSHERS = 5;

/** `total` ops of one device over `total / VERSIONS` fields, and a fresh cursor at the head. */
async function loadLog(server: BenchServer, userId: string, total: number): Promise<void> {
  const deviceId = await loadHistory(server, userId, total, Math.round(total / VERSIONS));
  await server.pool.query(
    `INSERT INTO device_sync_cursor (user_id, device_id, last_seen_id, last_seen_at)
     SELECT $1, $2, max(id) + 1, now() FROM sync_op WHERE user_id = $1`,
    [userId, deviceId],
  );
}

/**
 * The baseline: the same superseded rows (the collapse rule of R59), removed
 * by one DELETE, found by the statement `compactUser` finds them with, so the
 * two sides differ only in how the rows go: in slices, each remembering its
 * ops (R68), or at once.
 */
const RAW_DELETE_SQL = `DELETE FROM sync_op WHERE user_id = $1 AND id IN (${SUPERSEDED_OPS_SQL})`;

interface Latency {
  at: number;
  ms: number;
  compacted: boolean;
}

/** Devices pushing batches of 10 in a loop until `stop()`, each push's latency recorded. */
function startPushers(server: BenchServer, compactedUser: string): { stop(): Promise<Latency[]> } {
  const latencies: Latency[] = [];
  let running = true;
  const pusher = async (userId: string, compacted: boolean) => {
    const token = await server.token(userId);
    let lamport = 0;
    while (running) {
      const ops = upserts(10, lamport + 1, 100);
      lamport += 10;
      const started = performance.now();
      const response = await fetch(`${server.url}${OPS_PATH}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ ops, answer: "receipt" }),
      });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`push failed: ${response.status}`);
      latencies.push({ at: started, ms: performance.now() - started, compacted });
      await sleep(100);
    }
  };
  const otherUser = randomUUID();
  const all = Promise.all([
    ...Array.from({ length: COMPACTED_PUSHERS }, () => pusher(compactedUser, true)),
    ...Array.from({ length: OTHER_PUSHERS }, () => pusher(otherUser, false)),
  ]);
  return {
    async stop() {
      running = false;
      await all;
      return latencies;
    },
  };
}

interface Run {
  /** The run alone, no pushers. */
  quiet: number;
  /** The run while the pushers push. */
  seconds: number;
  compacted: { idle: number; during: number };
  other: { idle: number; during: number };
}

/**
 * `remove` on a loaded log alone; then on another, while the pushers push:
 * idle (after 1 s of warm-up) for 2 s, then during the run.
 */
async function run(
  server: BenchServer,
  total: number,
  remove: (userId: string) => Promise<number>,
): Promise<Run> {
  const alone = randomUUID();
  await loadLog(server, alone, total);
  const quietStarted = performance.now();
  await remove(alone);
  const quiet = (performance.now() - quietStarted) / 1000;
  const userId = randomUUID();
  await loadLog(server, userId, total);
  const pushers = startPushers(server, userId);
  await sleep(1000);
  const idleFrom = performance.now();
  await sleep(2000);
  const started = performance.now();
  const deleted = await remove(userId);
  const ended = performance.now();
  await sleep(200);
  const latencies = await pushers.stop();
  const expected = Math.round(total * (1 - 1 / VERSIONS));
  if (deleted !== expected) throw new Error(`removed ${deleted}, expected ${expected}`);
  const p99 = (compacted: boolean, during: boolean) =>
    quantile(
      latencies
        .filter(
          (l) =>
            l.compacted === compacted &&
            (during ? l.at >= started && l.at < ended : l.at >= idleFrom && l.at < started),
        )
        .map((l) => l.ms)
        .sort((a, b) => a - b),
      0.99,
    );
  return {
    quiet,
    seconds: (ended - started) / 1000,
    compacted: { idle: p99(true, false), during: p99(true, true) },
    other: { idle: p99(false, false), during: p99(false, true) },
  };
}

/** Syncline's sliced compaction against one raw DELETE, same log, same load. */
export async function benchCompaction(server: BenchServer): Promise<void> {
  const total = Math.round(1_000_000 * SCALE);
  console.log(`compaction: ${total} ops, ${VERSIONS} versions of each field, pushers running`);
  const store = new PgSyncStore({ pool: server.pool });
  try {
    const rounds = await interleave(
      () => run(server, total, async (userId) => (await store.compactUser(userId))?.deleted ?? 0),
      () =>
        run(server, total, async (userId) => {
          const { rows } = await server.pool.query<{ head: string }>(
            "SELECT last_seen_id AS head FROM device_sync_cursor WHERE user_id = $1",
            [userId],
          );
          return (await server.pool.query(RAW_DELETE_SQL, [userId, rows[0]!.head])).rowCount ?? 0;
        }),
    );
    for (const [label, pick] of [
      ["alone", (r: Run) => r.quiet],
      [`with ${COMPACTED_PUSHERS} + ${OTHER_PUSHERS} pushers`, (r: Run) => r.seconds],
    ] as const) {
      const a = median(rounds.syncline.map(pick));
      const b = median(rounds.raw.map(pick));
      report({
        path: `compaction, ${total / 1e6}M ops (${(total * 0.9) / 1e6}M removed), ${label} (s)`,
        syncline: `${a.toFixed(1)} s`,
        raw: `one DELETE of the same rows ${b.toFixed(1)} s`,
        ratio: (a / b).toFixed(2),
      });
    }
    for (const [side, runs] of [
      ["compaction", rounds.syncline],
      ["raw DELETE", rounds.raw],
    ] as const) {
      const ms = (pick: (r: Run) => number) => `${median(runs.map(pick)).toFixed(1)} ms`;
      report({
        path: `push p99 during ${side}: compacted user / other user`,
        syncline: `${ms((r) => r.compacted.during)} / ${ms((r) => r.other.during)}`,
        raw: `idle ${ms((r) => r.compacted.idle)} / ${ms((r) => r.other.idle)}`,
        ratio: `${(median(runs.map((r) => r.compacted.during / r.compacted.idle))).toFixed(2)}× / ${median(runs.map((r) => r.other.during / r.other.idle)).toFixed(2)}×`,
      });
    }
  } finally {
    await store.close();
  }
}
