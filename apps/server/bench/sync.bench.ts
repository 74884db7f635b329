/**
 * Server benchmark (`pnpm bench`): every hot path beside a raw baseline on
 * the same cluster in the same run, interleaved (A, B, A, B…) over
 * `BENCH_ROUNDS` rounds, medians, printed as one ratio table at the end.
 *
 *   BENCH_ONLY=push,pull BENCH_SCALE=0.2 pnpm bench   # a subset, smaller
 */
import { startBenchServer } from "./bench-server.js";
import { benchCompaction } from "./compaction.js";
import { benchEditLatency } from "./edit-latency.js";
import { benchFanOut } from "./fan-out.js";
import { benchIdleSockets } from "./idle-sockets.js";
import { benchJoin } from "./join.js";
import { printTable } from "./measure.js";
import { benchPull } from "./pull.js";
import { benchPush } from "./push.js";

const SECTIONS = {
  push: benchPush,
  pull: benchPull,
  "fan-out": benchFanOut,
  "idle-sockets": benchIdleSockets,
  compaction: benchCompaction,
  "edit-latency": benchEditLatency,
  join: benchJoin,
};

const only = process.env.BENCH_ONLY?.split(",");
const server = await startBenchServer();
try {
  for (const [name, run] of Object.entries(SECTIONS)) {
    if (!only || only.includes(name)) await run(server);
  }
  printTable();
} finally {
  await server.stop();
}
