import type { SyncObserver } from "@syncline/server-core";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Prometheus metrics of one server process. */
export interface ServerMetrics {
  readonly registry: Registry;
  /** Feeds the sync routes' events into the metrics. */
  readonly observer: SyncObserver;
  /** Records one compaction run. */
  compacted(result: "ok" | "skipped" | "failed", opsDeleted?: number): void;
}

/** Creates the registry: pushes, ops, pulls, errors (409s, 410s, …), sockets, fan-out latency, compactions. */
export function createMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const pushes = new Counter({
    name: "syncline_push_requests_total",
    help: "Successful push requests",
    registers: [registry],
  });
  const ops = new Counter({
    name: "syncline_pushed_ops_total",
    help: "Ops received by push, by outcome",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const pulls = new Counter({
    name: "syncline_pull_requests_total",
    help: "Pull pages served",
    registers: [registry],
  });
  const errors = new Counter({
    name: "syncline_errors_total",
    help: "Error responses by type (lamport_conflict = 409, resync_required = 410, ...)",
    labelNames: ["type"] as const,
    registers: [registry],
  });
  const sockets = new Gauge({
    name: "syncline_sockets_open",
    help: "Open WebSockets",
    registers: [registry],
  });
  const fanOut = new Histogram({
    name: "syncline_fanout_latency_seconds",
    help: "From a page of new ops' commit to its live frame being sent to every socket of the user (one observation per page)",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const compactions = new Counter({
    name: "syncline_compaction_runs_total",
    help: "Compaction runs by result",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  const compactedOps = new Counter({
    name: "syncline_compacted_ops_total",
    help: "Ops removed by compaction",
    registers: [registry],
  });
  return {
    registry,
    observer: {
      pushed(_userId, inserted, duplicates) {
        pushes.inc();
        ops.inc({ outcome: "inserted" }, inserted);
        ops.inc({ outcome: "duplicate" }, duplicates);
      },
      pulled() {
        pulls.inc();
      },
      failed(type) {
        errors.inc({ type });
      },
      sockets(open) {
        sockets.set(open);
      },
      fannedOut(latencyMs) {
        fanOut.observe(Math.max(0, latencyMs) / 1000);
      },
    },
    compacted(result, opsDeleted = 0) {
      compactions.inc({ result });
      compactedOps.inc(opsDeleted);
    },
  };
}
