import { materialize, reduceOps, type StoredOp } from "@syncline/protocol";
import type { SimWorld } from "./world.js";

/** A broken invariant: which one, and what was seen. */
export class InvariantViolation extends Error {
  override readonly name = "InvariantViolation";
}

function violated(invariant: string, detail: string): never {
  throw new InvariantViolation(`${invariant}: ${detail}`);
}

/** The user's whole log as the store holds it. */
export async function logOf(world: SimWorld, userId: string): Promise<StoredOp[]> {
  const ops: StoredOp[] = [];
  for (let since = 0; ; ) {
    const page = await world.store.pull(userId, { since, limit: 5000, resync: true });
    ops.push(...page.ops);
    if (!page.has_more) return ops;
    since = page.ops.at(-1)!.id;
  }
}

/**
 * The invariants that hold after every step: nothing stored twice (3), the
 * server's cursors never ahead of what a device applied (4), per-device
 * Lamport values strictly increasing in the log (5), and `synced` only with
 * nothing pending (6).
 */
export async function checkStepInvariants(world: SimWorld): Promise<void> {
  world.noteCursors();
  for (const userId of world.users) {
    const log = await logOf(world, userId);
    const seen = new Set<string>();
    const lastLamport = new Map<string, number>();
    for (const op of log) {
      const key = `${op.device_id}/${op.operation_id}`;
      if (seen.has(key)) violated("3 (nothing duplicated)", `${key} is stored twice`);
      seen.add(key);
      const previous = lastLamport.get(op.device_id) ?? 0;
      if (op.lamport_ts <= previous) {
        violated(
          "5 (Lamport increases per device)",
          `op ${op.id} of ${op.device_id} has lamport_ts ${op.lamport_ts} after ${previous}`,
        );
      }
      lastLamport.set(op.device_id, op.lamport_ts);
    }
  }
  for (const device of world.devices) {
    const serverCursor = await world.server.cursor(device.client.deviceId, device.userId);
    if (serverCursor > device.maxDurableCursor) {
      violated(
        "4 (cursor safety)",
        `${device.name}'s server cursor ${serverCursor} passes what it applied (${device.maxDurableCursor})`,
      );
    }
    const { status } = device.client;
    if (status.state === "synced" && status.pendingCount > 0) {
      violated(
        "6 (status honesty)",
        `${device.name} says synced with ${status.pendingCount} pending`,
      );
    }
  }
}

/**
 * The invariants once the network healed and every queue drained:
 * convergence (1) and nothing lost (2).
 */
export async function checkFinalInvariants(world: SimWorld): Promise<void> {
  await checkStepInvariants(world);
  for (const userId of world.users) {
    const log = await logOf(world, userId);
    const truth = materialize(reduceOps(log));
    const stored = new Map(log.map((op) => [`${op.device_id}/${op.operation_id}`, op]));
    for (const device of world.devices.filter((d) => d.userId === userId)) {
      const { status } = device.client;
      if (status.state !== "synced" || status.pendingCount > 0) {
        violated("1 (convergence)", `${device.name} never drained: ${JSON.stringify(status)}`);
      }
      for (const type of ["note", "poison"]) {
        const seen = device.client.list(type);
        const expected = truth[type] ?? {};
        if (JSON.stringify(sorted(seen)) !== JSON.stringify(sorted(expected))) {
          const cursor = device.store.transaction((tx) => tx.cursor());
          violated(
            "1 (convergence)",
            `${device.name} (cursor ${cursor}, log ids ${log.map((op) => op.id).join(",")}) shows ${JSON.stringify(seen)} where the log folds to ${JSON.stringify(expected)}`,
          );
        }
      }
      // Every op `mutate` returned is confirmed (stored once: invariant 3), or
      // failed with its reason in the status. A handle made before a crash
      // died with its process: its op must then be stored all the same,
      // which a retry of it proves by coming back as a duplicate (R14, R68).
      const failed = new Set(status.failedOps.map(({ op }) => op.operation_id));
      for (const mutation of device.mutations) {
        for (const op of mutation.ops) {
          if (mutation.state === "confirmed" || failed.has(op.operation_id)) continue;
          const [retry] = await world.store
            .push(userId, device.client.deviceId, [op])
            .catch((error: unknown) => [error]);
          if (retry && typeof retry === "object" && "duplicate" in retry && retry.duplicate)
            continue;
          const where = stored.has(`${device.client.deviceId}/${op.operation_id}`)
            ? "stored"
            : "not stored";
          violated(
            "2 (nothing lost)",
            `${device.name}'s op ${op.operation_id} is ${mutation.state} (${where}) and a retry of it is no duplicate`,
          );
        }
      }
    }
  }
}

/** An object with its keys sorted at every level, to compare states by value. */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, sorted(v)]),
    );
  }
  return value;
}
