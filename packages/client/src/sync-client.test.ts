import {
  isSyncError,
  type JsonValue,
  MAX_VALUE_BYTES,
  materialize,
  reduceOps,
} from "@syncline/protocol";
import { until } from "@syncline/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryClientStore, type SyncClientState } from "./index.js";
import { device, testNetwork } from "./testing/harness.js";

describe("mutate", () => {
  it("R41: stamps increasing Lamport timestamps, persisted with the queued ops", () => {
    const store = new MemoryClientStore();
    const { client } = device(testNetwork(), { store });
    const m = client.mutate((tx) => {
      tx.upsert("note", "n1", "title", "a");
      tx.delete("note", "n2");
    });
    expect(m.ops.map((op) => op.lamport_ts)).toEqual([1, 2]);
    expect(m.ops[1]).toMatchObject({ op: "delete", field: null, value: null, entity_id: "n2" });
    expect(store.transaction((tx) => tx.lamport())).toBe(2);
    expect(store.transaction((tx) => tx.pending().map((p) => p.op))).toEqual(m.ops);
    // A restarted client over the same store goes on from the stored clock and device id.
    const again = device(testNetwork(), { store });
    expect(again.client.deviceId).toBe(client.deviceId);
    expect(
      again.client.mutate((tx) => tx.upsert("note", "n1", "title", "b")).ops[0]!.lamport_ts,
    ).toBe(3);
  });

  it("queues nothing when the callback throws, is async, or makes an op the protocol refuses", () => {
    const store = new MemoryClientStore();
    const { client } = device(testNetwork(), { store });
    expect(() =>
      client.mutate((tx) => {
        tx.upsert("note", "n1", "title", "a");
        throw new Error("app write failed");
      }),
    ).toThrow("app write failed");
    expect(() => client.mutate(async (tx) => tx.upsert("note", "n1", "title", "a"))).toThrow(
      TypeError,
    );
    let refused: unknown;
    try {
      client.mutate((tx) => {
        tx.upsert("note", "n1", "title", "ok");
        tx.upsert("note", "n1", "body", "x".repeat(MAX_VALUE_BYTES));
      });
    } catch (error) {
      refused = error;
    }
    expect(isSyncError(refused, "invalid_request")).toBe(true);
    expect(() => client.mutate((tx) => tx.upsert("", "n1", "title", 1))).toThrow();
    // R2: a value nested deeper than any stack, or text cut inside an emoji, is the
    // documented validation error, never a RangeError.
    let deep: JsonValue = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    for (const value of [deep, "🎵".slice(0, 1)]) {
      let error: unknown;
      try {
        client.mutate((tx) => tx.upsert("note", "n1", "title", value));
      } catch (thrown) {
        error = thrown;
      }
      expect(isSyncError(error, "invalid_request")).toBe(true);
    }
    store.transaction((tx) => {
      expect(tx.pendingCount()).toBe(0);
      expect(tx.lamport()).toBe(0);
    });
    expect(client.status.pendingCount).toBe(0);
  });

  it("never dismisses a pending op", () => {
    const { client } = device(testNetwork());
    const m = client.mutate((tx) => tx.upsert("note", "n1", "title", "a"));
    client.dismissFailed(m.ops[0]!.operation_id);
    expect(client.status.pendingCount).toBe(1);
  });

  it("shows local edits at once through read and list", () => {
    const { client } = device(testNetwork());
    client.mutate((tx) => {
      tx.upsert("note", "n1", "title", "a");
      tx.upsert("note", "n2", "title", "b");
      tx.delete("note", "n2");
    });
    expect(client.read("note", "n1")).toEqual({ title: "a" });
    expect(client.read("note", "n2")).toBeUndefined();
    expect(client.list("note")).toEqual({ n1: { title: "a" } });
  });
});

describe("offline edits", () => {
  it("C2: queue durably while stopped and arrive in order after a restart", async () => {
    const network = testNetwork();
    const store = new MemoryClientStore();
    const first = device(network, { store });
    for (let i = 0; i < 5; i++) first.client.mutate((tx) => tx.upsert("note", `n${i}`, "rank", i));
    expect(network.traffic.pushes).toHaveLength(0);
    const later = device(network, { store });
    expect(later.client.status.pendingCount).toBe(5);
    later.client.start();
    await until(() => later.client.status.state === "synced");
    expect((await network.server.log()).map((op) => op.value)).toEqual([0, 1, 2, 3, 4]);
    await later.client.stop();
  });
});

describe("status", () => {
  it("C11, link states: goes offline → connecting → syncing → synced, error on 401, offline when stopped", async () => {
    const network = testNetwork();
    const { client, scheduler } = device(network, { backoff: { baseMs: 100, maxMs: 100 } });
    const states: SyncClientState[] = [];
    client.onStatus((s) => {
      if (states.at(-1) !== s.state) states.push(s.state);
    });
    expect(client.status).toEqual({
      state: "offline",
      pendingCount: 0,
      failedOps: [],
      lastSyncedAt: null,
      lastError: null,
      catchUp: null,
    });
    client.start();
    await until(() => client.status.state === "synced");
    expect(states).toEqual(["connecting", "syncing", "synced"]);
    expect(client.status.lastSyncedAt).toBe(scheduler.now());

    const m = client.mutate((tx) => tx.upsert("note", "n", "title", "x"));
    expect(client.status).toMatchObject({ state: "syncing", pendingCount: 1 });
    await m.confirmed;
    await until(() => client.status.state === "synced");

    network.faults.offline = true;
    network.faults.cutSockets();
    await until(() => client.status.state === "offline");
    expect(client.status.lastError?.type).toBe("network");
    network.faults.offline = false;
    await scheduler.next();
    await until(() => client.status.state === "synced");
    expect(client.status.lastError).toBeNull();

    // The server moves to a new signing key: the client's token is refused from now on.
    network.server.rotateSigningKey();
    network.faults.cutSockets();
    await scheduler.advance(1_000);
    await until(() => client.status.state === "error");
    expect(client.status.lastError?.type).toBe("auth_required");
    await client.stop();
    expect(client.status.state).toBe("error");
    expect(states).toEqual([
      "connecting",
      "syncing",
      "synced",
      "syncing",
      "synced",
      "offline",
      "connecting",
      "syncing",
      "synced",
      "offline",
      "connecting",
      "error",
    ]);
  });

  it("stops quietly: no timers, no requests after stop()", async () => {
    const network = testNetwork();
    const { traffic } = network;
    const { client, scheduler } = device(network);
    client.start();
    await until(() => client.status.state === "synced");
    await client.stop();
    expect(client.status.state).toBe("offline");
    const requests = () =>
      traffic.snapshots.length + traffic.pulls.length + traffic.pushes.length + traffic.acks.length;
    const before = requests();
    client.mutate((tx) => tx.upsert("note", "n", "title", "x"));
    await scheduler.advance(120_000);
    expect(requests()).toBe(before);
    expect(scheduler.pending).toEqual([]);
    expect(traffic.openSockets()).toEqual([]);
    expect(network.server.openSockets()).toBe(0);
  });
});

describe("convergence (the real routes in-process)", () => {
  it("C1, C2, C6: every op is stored once, in each device's order, and all devices converge, under random failures (property)", async () => {
    type Step =
      | { kind: "edit"; device: number; entity: string; field: string; value: number }
      | { kind: "delete"; device: number; entity: string }
      | { kind: "fail"; fault: "dropped" | "lost" | 503 }
      | { kind: "cut" }
      | { kind: "time"; ms: number }
      | { kind: "sync"; device: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          kind: fc.constant("edit" as const),
          device: fc.integer({ min: 0, max: 2 }),
          entity: fc.constantFrom("a", "b", "c"),
          field: fc.constantFrom("title", "rank"),
          value: fc.integer({ min: 0, max: 99 }),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant("delete" as const),
          device: fc.integer({ min: 0, max: 2 }),
          entity: fc.constantFrom("a", "b", "c"),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant("fail" as const),
          // A push that never arrives, one stored whose answer is lost, or a 503.
          fault: fc.constantFrom("dropped" as const, "lost" as const, 503 as const),
        }),
      },
      { weight: 1, arbitrary: fc.constant({ kind: "cut" as const }) },
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant("time" as const),
          ms: fc.integer({ min: 0, max: 3000 }),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant("sync" as const),
          device: fc.integer({ min: 0, max: 2 }),
        }),
      },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
        const network = testNetwork();
        const { server, faults, traffic } = network;
        const devices = [0, 1, 2].map(() => device(network));
        const queued: string[][] = [[], [], []];
        for (const d of devices) d.client.start();
        for (const s of steps) {
          if (s.kind === "edit" || s.kind === "delete") {
            const m = devices[s.device]!.client.mutate((tx) =>
              s.kind === "edit"
                ? tx.upsert("note", s.entity, s.field, s.value)
                : tx.delete("note", s.entity),
            );
            queued[s.device]!.push(m.ops[0]!.operation_id);
          } else if (s.kind === "fail") {
            faults.nextPushes.push(
              s.fault === 503
                ? { status: 503, body: { type: "internal", message: "busy" } }
                : s.fault,
            );
          } else if (s.kind === "cut") faults.cutSockets();
          else if (s.kind === "time") await server.scheduler.advance(s.ms);
          else void devices[s.device]!.client.syncNow();
        }
        faults.nextPushes.length = 0;
        await server.scheduler.advance(120_000);
        for (const d of devices) await d.client.syncNow();
        await until(() => devices.every((d) => d.client.status.state === "synced"));
        const log = await server.log();
        const expected = materialize(reduceOps(log)).note ?? {};
        for (const [i, d] of devices.entries()) {
          const stored = log
            .filter((op) => op.device_id === d.client.deviceId)
            .map((op) => op.operation_id);
          expect(stored).toEqual(queued[i]);
          expect(d.client.list("note")).toEqual(expected);
          expect(d.client.status.pendingCount).toBe(0);
        }
        expect(traffic.overlappingPushes).toBe(0);
        for (const d of devices) await d.client.stop();
      }),
      { numRuns: 60 },
    );
  });
});
