import {
  CLOSE_CODE,
  materialize,
  reduceOps,
  type ServerFrame,
  type StoredOp,
} from "@syncline/protocol";
import { until } from "@syncline/testkit";
import { describe, expect, it } from "vitest";
import type { AppliedBatch } from "./index.js";
import { receiveRemote } from "./lamport.js";
import { device, type TestNetwork, testNetwork, WITHOUT_SNAPSHOTS } from "./testing/harness.js";

/** Another device of the same user that writes `count` notes and waits until stored. */
async function otherDeviceWrites(network: TestNetwork, count: number, prefix = "n"): Promise<void> {
  const other = device(network);
  other.client.start();
  const m = other.client.mutate((tx) => {
    for (let i = 0; i < count; i++) tx.upsert("note", `${prefix}${i}`, "title", `${prefix}${i}`);
  });
  await m.confirmed;
  await other.client.stop();
}

/** Another device of the user, on a network of its own (no faults), that writes notes and ACKs them. */
function ackingDevice(network: TestNetwork) {
  const other = device(network, { transport: network.server.transport() });
  return {
    /**
     * Writes `count` notes, pulls past them (R28) and ACKs them as it stops
     * (over its socket), so compaction counts it (R57).
     * @returns the id it ACKed
     */
    async writeAndAck(count: number, prefix: string): Promise<number> {
      other.client.start();
      await other.client.mutate((tx) => {
        for (let i = 0; i < count; i++) {
          tx.upsert("note", `${prefix}${i}`, "title", `${prefix}${i}`);
        }
      }).confirmed;
      await until(() => other.client.status.state === "synced");
      await other.client.syncNow();
      const cursor = other.store.transaction((tx) => tx.cursor());
      await other.client.stop();
      await until(async () => (await network.server.cursor(other.client.deviceId)) === cursor);
      return cursor;
    },
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The notes the server's log materializes to. */
async function serverState(network: TestNetwork) {
  return materialize(reduceOps(await network.server.log())).note ?? {};
}

/** Ids of the ops that `ops` frames carried. */
function frameIds(frames: readonly ServerFrame[]): number[] {
  return frames.flatMap((frame) => (frame.type === "ops" ? frame.ops.map((op) => op.id) : []));
}

describe("inbound: catch-up and live frames", () => {
  it("C6, C7: pulls pages until has_more is false, then applies live frames; cursor and clock follow (a server without snapshots)", async () => {
    const network = testNetwork(WITHOUT_SNAPSHOTS);
    const { server, traffic } = network;
    await otherDeviceWrites(network, 2500);
    const { client, store } = device(network, { pullLimit: 1000 });
    client.start();
    await until(() => client.status.state === "synced");
    const mine = traffic.pulls.filter((p) => p.deviceId === client.deviceId);
    expect(mine.map((p) => [p.since, p.resync])).toEqual([
      [0, false],
      [1000, true],
      [2000, true],
    ]);
    expect(client.list("note")).toEqual(await serverState(network));
    expect(store.transaction((tx) => tx.cursor())).toBe(2500);

    const writer = device(network);
    writer.client.start();
    await until(() => writer.client.status.state === "synced");
    const pullsBefore = traffic.pulls.length;
    const live = writer.client.mutate((tx) => tx.upsert("note", "live", "title", "hello"));
    await live.confirmed;
    await until(() => client.read("note", "live") !== undefined);
    expect(traffic.pulls.length).toBe(pullsBefore); // it came over the socket
    expect(client.read("note", "live")).toEqual({ title: "hello" });
    expect(store.transaction((tx) => tx.cursor())).toBe(2501);
    const maxRemote = Math.max(...(await server.log()).map((op) => op.lamport_ts));
    expect(store.transaction((tx) => tx.lamport())).toBeGreaterThan(maxRemote);
    // A local op is stamped above every remote stamp seen.
    const next = client.mutate((tx) => tx.upsert("note", "mine", "title", "x"));
    expect(next.ops[0]!.lamport_ts).toBeGreaterThan(maxRemote);
    await client.stop();
    await writer.client.stop();
  });

  it("C6, R51: applies ops seen by both pull and socket exactly once (a server without snapshots)", async () => {
    const network = testNetwork(WITHOUT_SNAPSHOTS);
    const { server, faults, traffic } = network;
    const batches: AppliedBatch[] = [];
    const { client, store, scheduler } = device(network, {
      onApply: (_db, batch) => batches.push(batch),
    });
    client.start();
    await until(() => client.status.state === "synced");
    const sockets = () => traffic.socketsOf(client.deviceId);
    faults.holdOpsFrames = true;
    await otherDeviceWrites(network, 3, "a");
    const clockBefore = store.transaction((tx) => tx.lamport());
    await client.syncNow(); // the pull brings ops 1..3…
    faults.releaseFrames(); // …and the live frame, held on the way, brings them again
    await until(() => sockets()[0]!.received.length === 1);
    expect(frameIds(sockets()[0]!.received)).toEqual([1, 2, 3]);

    // The socket drops, and 4..5 are written between the reconnect's catch-up and its
    // handshake: the new socket's backlog (since 3) overlaps the next pull.
    const releaseHandshake = faults.hold("socket");
    faults.cutSockets();
    await until(() => client.status.state === "offline");
    await scheduler.next(); // the reconnect: a catch-up from 3, then the handshake waits
    await until(() => sockets().length === 2);
    await otherDeviceWrites(network, 2, "b");
    releaseHandshake();
    await until(() => sockets()[1]!.opened);
    await client.syncNow(); // the pull brings 4..5…
    faults.releaseFrames(); // …and so does the backlog
    await until(() => sockets()[1]!.received.length === 1 && client.status.state === "synced");
    expect(sockets().map((s) => s.since)).toEqual([0, 3]);
    expect(frameIds(sockets()[1]!.received)).toEqual([4, 5]);
    expect(batches.flatMap((b) => b.ops.map((op) => op.id))).toEqual([1, 2, 3, 4, 5]);
    // One clock merge per op: a second merge of any op would push the clock higher.
    const expectedClock = (await server.log()).reduce(
      (c, op) => receiveRemote(c, op.lamport_ts),
      clockBefore,
    );
    expect(store.transaction((tx) => tx.lamport())).toBe(expectedClock);
    expect(store.transaction((tx) => tx.cursor())).toBe(5);
    await client.stop();
  });

  it("C12: runs onApply in the same transaction: when it throws, nothing is applied and the next catch-up retries (a server without snapshots)", async () => {
    const network = testNetwork(WITHOUT_SNAPSHOTS);
    await otherDeviceWrites(network, 2);
    let failing = true;
    const seen: number[] = [];
    const { client, store, scheduler } = device(network, {
      onApply: (_db, batch) => {
        if (failing) throw new Error("app table is locked");
        seen.push(...batch.ops.map((op) => op.id));
      },
    });
    client.start();
    await until(() => client.status.lastError?.type === "local");
    expect(client.status.lastError?.message).toBe("app table is locked");
    store.transaction((tx) => {
      expect(tx.cursor()).toBe(0);
      expect(tx.lamport()).toBe(0);
      expect(tx.entities("note")).toEqual({});
    });
    failing = false;
    await scheduler.advance(1_000);
    await until(() => client.status.state === "synced");
    expect(seen).toEqual([1, 2]);
    expect(client.list("note")).toEqual(await serverState(network));
    await client.stop();
  });

  it("C12: onApply reads what the user sees (server state plus pending ops) in its own transaction", async () => {
    const network = testNetwork();
    await otherDeviceWrites(network, 2);
    const reads: unknown[] = [];
    const { client, store } = device(network, {
      onApply: (_db, batch) => {
        // The transaction under way: the applied ops are visible, and so is the pending edit.
        reads.push(batch.read("note", "n0"), batch.list("note"));
        store.transaction((tx) => reads.push(tx.cursor()));
      },
    });
    client.mutate((tx) => tx.upsert("note", "n0", "color", "red"));
    const hold = network.faults.hold("push");
    client.start();
    await until(() => reads.length === 3);
    expect(reads).toEqual([
      { title: "n0", color: "red" },
      { n0: { title: "n0", color: "red" }, n1: { title: "n1" } },
      2,
    ]);
    hold();
    await until(() => client.status.state === "synced");
    await client.stop();
  });
});

describe("inbound: 410 and resync", () => {
  it("C8, R63: wipes op-derived state, re-pulls from 0, and keeps pending ops on top, then pushes them (a server without snapshots)", async () => {
    const network = testNetwork(WITHOUT_SNAPSHOTS);
    const { server, faults, traffic } = network;
    // Tokens are judged by the server's clock, which this test moves 91 days on.
    const token = server.token({ expiresInSeconds: 365 * 24 * 3600 });
    const writer = device(network, { token });
    writer.client.start();
    await writer.client.mutate((tx) => {
      tx.upsert("note", "x", "title", "doomed");
      tx.upsert("note", "y", "title", "first");
    }).confirmed;

    const batches: AppliedBatch[] = [];
    const a = device(network, {
      token,
      onApply: (_db, batch) => batches.push(batch),
      pullLimit: 1,
    });
    a.client.start();
    await until(() => a.client.status.state === "synced");
    expect(a.client.read("note", "x")).toEqual({ title: "doomed" });
    await a.client.stop(); // ACKs 2 over its socket
    await until(async () => (await server.cursor(a.client.deviceId)) === 2);

    // A stays away 91 days, past the stale window (90, R57): compaction no longer waits for it.
    await writer.client.stop();
    await server.scheduler.advance(91 * DAY_MS);
    writer.client.start();
    // Meanwhile x is deleted and y changes; the writer ACKs 5 and compaction passes A's cursor.
    await writer.client.mutate((tx) => {
      tx.delete("note", "x");
      tx.upsert("note", "y", "title", "second");
      tx.upsert("note", "z", "title", "new");
    }).confirmed;
    await until(() => writer.client.status.state === "synced");
    await writer.client.syncNow();
    await writer.client.stop();
    await until(async () => (await server.cursor(writer.client.deviceId)) === 5);
    expect(await server.compact()).toMatchObject({ compactedUpTo: 5, deleted: 2 });
    // R59: x's upsert and y's first title are gone; x's delete stays, the newest of its entity.
    const compacted = await server.log();
    expect(compacted.map((op) => [op.id, op.entity_id, op.op])).toEqual([
      [3, "x", "delete"],
      [4, "y", "upsert"],
      [5, "z", "upsert"],
    ]);

    const edit = a.client.mutate((tx) => tx.upsert("note", "y", "title", "mine"));
    const release = faults.hold("push");
    a.client.start();
    const head = compacted.at(-1)!.id;
    await until(
      () => batches.some((b) => b.reset) && a.store.transaction((tx) => tx.cursor()) === head,
    );
    // First sync (pages at 0, 1), the 410 at 2, then R63 from 0 through the compacted log.
    expect(
      traffic.pulls.filter((p) => p.deviceId === a.client.deviceId).map((p) => [p.since, p.resync]),
    ).toEqual([
      [0, false],
      [1, true],
      [2, false],
      [0, false],
      [3, true],
      [4, true],
    ]);
    expect(a.client.read("note", "x")).toBeUndefined();
    expect(a.client.read("note", "z")).toEqual({ title: "new" });
    expect(a.client.read("note", "y")).toEqual({ title: "mine" }); // pending edit on top
    expect(a.store.transaction((tx) => tx.entities("note", "y"))).toEqual({
      y: { title: "second" },
    });
    expect(a.store.transaction((tx) => tx.cursor())).toBe(head);
    expect(edit.state).toBe("sent");
    release();
    await edit.confirmed;
    expect(a.client.read("note", "y")).toEqual({ title: "mine" });
    expect(a.client.list("note")).toEqual(await serverState(network));
    await a.client.stop();
  });

  it("handles resync_required on the socket by reconnecting through a full re-pull (a server without snapshots)", async () => {
    const network = testNetwork(WITHOUT_SNAPSHOTS);
    const { server, faults, traffic } = network;
    await otherDeviceWrites(network, 3);
    // It never ACKs here, so compaction does not wait for it (R57).
    const { client, scheduler } = device(network, { ackDebounceMs: 600_000 });
    client.start();
    await until(() => client.status.state === "synced");
    const sockets = () => traffic.socketsOf(client.deviceId);
    const pulls = traffic.pulls.length;
    // The socket drops; while the reconnect's handshake is on its way, another device
    // writes and ACKs, and compaction passes this device's cursor (3), which it never ACKed.
    const releaseHandshake = faults.hold("socket");
    faults.cutSockets();
    await until(() => client.status.state === "offline");
    await scheduler.next(); // the reconnect: a catch-up from 3, then the handshake waits
    await until(() => sockets().length === 2);
    await ackingDevice(network).writeAndAck(2, "w");
    expect(await server.compact()).toMatchObject({ compactedUpTo: 5 });
    releaseHandshake();
    await until(() => sockets()[1]!.closeCode !== undefined);
    // R30, R35: the frame, then close code 4410.
    expect(sockets()[1]!.received).toEqual([{ type: "resync_required", compacted_up_to: 5 }]);
    expect(sockets()[1]!.closeCode).toBe(CLOSE_CODE.resyncRequired);
    await scheduler.next();
    await until(() => client.status.state === "synced");
    const mine = traffic.pulls.slice(pulls).filter((p) => p.deviceId === client.deviceId);
    expect(mine.map((p) => p.since)).toEqual([3, 0]);
    expect(client.list("note")).toEqual(await serverState(network));
    await client.stop();
  });

  it("backs off instead of looping when the server keeps asking for a resync", async () => {
    const network = testNetwork();
    const { server, faults, traffic } = network;
    await otherDeviceWrites(network, 2);
    // It never ACKs here, so compaction does not wait for it (R57).
    const { client, scheduler } = device(network, { ackDebounceMs: 600_000 });
    const sockets = () => traffic.socketsOf(client.deviceId);
    // Every time it comes back, another device has written and ACKed more, and compaction
    // has passed this device's cursor between its catch-up and its handshake.
    const other = ackingDevice(network);
    let releaseHandshake = faults.hold("socket");
    client.start();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      await until(() => sockets().length === i + 1);
      const acked = await other.writeAndAck(1, `w${i}-`);
      expect(await server.compact()).toMatchObject({ compactedUpTo: acked });
      releaseHandshake();
      releaseHandshake = faults.hold("socket");
      await until(() => sockets()[i]!.closeCode === CLOSE_CODE.resyncRequired);
      await until(() => client.status.state === "offline");
      delays.push(await scheduler.next());
    }
    expect(delays).toEqual([375, 750, 1500, 3000]);
    releaseHandshake();
    await client.stop();
  });

  it("resync() wipes and re-pulls on request, keeping pending ops", async () => {
    const network = testNetwork();
    const { faults } = network;
    await otherDeviceWrites(network, 2);
    const { client, store } = device(network);
    client.start();
    await until(() => client.status.state === "synced");
    faults.offline = true;
    const edit = client.mutate((tx) => tx.upsert("note", "n0", "title", "local"));
    faults.offline = false;
    await client.resync();
    expect(client.read("note", "n0")).toEqual({ title: "local" });
    await edit.confirmed;
    expect(store.transaction((tx) => tx.pendingCount())).toBe(0);
    expect(client.list("note")).toEqual(await serverState(network));
    await client.stop();
  });
});

describe("inbound: ACK", () => {
  it("C9: ACKs the highest applied id once per debounce window, over the socket", async () => {
    const network = testNetwork();
    const { server, traffic } = network;
    const { client, scheduler } = device(network, { ackDebounceMs: 1000 });
    client.start();
    await until(() => client.status.state === "synced");
    const socket = traffic.openSockets(client.deviceId)[0]!;
    for (let i = 0; i < 3; i++) await otherDeviceWrites(network, 1, `w${i}-`);
    await until(() => client.read("note", "w2-0") !== undefined);
    await scheduler.advance(999);
    expect(socket.sent).toEqual([]);
    await scheduler.advance(1);
    expect(socket.sent).toEqual([{ ack: 3 }]);
    expect(await server.cursor(client.deviceId)).toBe(3);
    await scheduler.advance(5_000);
    expect(socket.sent).toEqual([{ ack: 3 }]);
    await client.stop();
  });

  // R28: no frame ever carries a device's own ops, so a pull has to.
  it("C9, R28: moves its cursor and ACK past its own pushed ops, so it never holds compaction back", async () => {
    const network = testNetwork();
    const { server, traffic } = network;
    const { client, scheduler } = device(network, { ackDebounceMs: 1000 });
    client.start();
    await until(() => client.status.state === "synced");
    const socket = traffic.openSockets(client.deviceId)[0]!;
    const [stored] = await client.mutate((tx) => tx.upsert("note", "mine", "title", "x")).confirmed;
    const pullsBefore = traffic.pulls.length;
    await scheduler.advance(1000); // the settle pull
    await until(() => traffic.pulls.length > pullsBefore);
    await scheduler.advance(1000); // the ACK debounce
    await until(() => socket.sent.length > 0);
    expect(socket.sent).toEqual([{ ack: stored!.id }]);
    expect(await server.cursor(client.deviceId)).toBe(stored!.id);
    await client.stop();
  });

  it("C9: ACKs with POST /sync/ack when the socket is not open", async () => {
    const network = testNetwork();
    const { server, faults, traffic } = network;
    faults.refuseSockets = true;
    await otherDeviceWrites(network, 4);
    const { client, scheduler } = device(network, { ackDebounceMs: 500 });
    client.start();
    await until(() => client.list("note").n3 !== undefined);
    expect(traffic.acks).toEqual([]);
    expect(await server.cursor(client.deviceId)).toBe(0);
    await scheduler.advance(500);
    expect(traffic.acks).toEqual([{ deviceId: client.deviceId, lastSeenId: 4 }]);
    expect(await server.cursor(client.deviceId)).toBe(4);
    await client.stop();
  });
});

describe("inbound: reconnect and heartbeat", () => {
  it("link states, R35: does not reconnect in a loop after close code 1008 (a frame of ours was refused)", async () => {
    const network = testNetwork();
    const { traffic } = network;
    // Pings every 10 ms: past the server's allowance (R34, 10 at once, then 1 a second).
    const { client, scheduler } = device(network, { heartbeatIntervalMs: 10 });
    client.start();
    await until(() => client.status.state === "synced");
    await scheduler.advance(200);
    await until(() => client.status.state === "offline");
    expect(traffic.socketsOf(client.deviceId)[0]!.closeCode).toBe(CLOSE_CODE.policyViolation);
    expect(client.status.lastError?.type).toBe("protocol");
    await scheduler.advance(10 * 60_000);
    expect(traffic.sockets).toHaveLength(1);
    await client.syncNow(); // an explicit request tries again
    await until(() => client.status.state === "synced");
    expect(traffic.sockets).toHaveLength(2);
    await client.stop();
  });

  it("C5, link states: reconnects with backoff when the socket drops, and catches up what it missed", async () => {
    const network = testNetwork();
    const { faults, traffic } = network;
    const { client, scheduler } = device(network, {
      backoff: { baseMs: 200, maxMs: 5_000 },
      ackDebounceMs: 60_000,
    });
    client.start();
    await until(() => client.status.state === "synced");
    faults.refuseSockets = true;
    faults.cutSockets();
    await until(() => client.status.state === "offline");
    await otherDeviceWrites(network, 2);
    // Refused reconnects back off: 150, 300, 600 (ceiling/2 + 0.5·ceiling/2).
    expect(await scheduler.next()).toBe(150);
    expect(await scheduler.next()).toBe(300);
    expect(await scheduler.next()).toBe(600);
    faults.refuseSockets = false;
    await scheduler.next();
    await until(() => client.status.state === "synced");
    expect(client.list("note")).toEqual(await serverState(network));
    expect(traffic.socketsOf(client.deviceId)).toHaveLength(5);
    await client.stop();
  });

  it("link states: closes a socket that stops answering pings and opens a new one", async () => {
    const network = testNetwork();
    const { server, faults, traffic } = network;
    const { client, scheduler } = device(network, {
      heartbeatIntervalMs: 20_000,
      heartbeatTimeoutMs: 5_000,
    });
    client.start();
    await until(() => client.status.state === "synced");
    await scheduler.advance(100_000); // pongs come back: the socket stays
    expect(traffic.sockets).toHaveLength(1);
    expect(
      traffic.sockets[0]!.sent.filter((f) => JSON.stringify(f) === '{"type":"ping"}'),
    ).toHaveLength(5);
    expect(traffic.sockets[0]!.received.filter((f) => f.type === "pong")).toHaveLength(5);

    faults.holdPongs = true;
    await scheduler.advance(20_000 + 4_999);
    expect(traffic.openSockets(client.deviceId)).toHaveLength(1);
    await scheduler.advance(1);
    expect(client.status.lastError?.message).toMatch(/heartbeat/);
    expect(traffic.sockets[0]!.closed).toBe(true);
    await scheduler.advance(1_000);
    await until(() => client.status.state === "synced");
    expect(traffic.openSockets(client.deviceId)).toHaveLength(1);
    expect(traffic.sockets).toHaveLength(2);
    expect(server.openSockets()).toBe(1); // the server let the first socket go
    await client.stop();
  });
});

describe("inbound: confirmations", () => {
  it("takes an op off the queue when the log shows it, even if its push answer was lost (R46) (a server without snapshots)", async () => {
    const network = testNetwork(WITHOUT_SNAPSHOTS);
    const { server, faults, traffic } = network;
    const { client, store } = device(network);
    client.start();
    await until(() => client.status.state === "synced");
    faults.nextPushes.push("lost");
    const m = client.mutate((tx) => tx.upsert("note", "n", "title", "mine"));
    await until(() => client.status.lastError?.type === "network");
    expect(await server.log()).toHaveLength(1);
    expect(m.state).toBe("pending");
    await client.resync(); // pulls the log, which holds the op
    // A new store's ids start at 1.
    expect((await m.confirmed).map((op) => op.id)).toEqual([1]);
    expect(store.transaction((tx) => tx.pendingCount())).toBe(0);
    expect(traffic.pushes).toHaveLength(1); // no retry was needed
    await client.stop();
  });

  it("applies this device's confirmed ops to the server state even though the socket never echoes them", async () => {
    const network = testNetwork();
    const { traffic } = network;
    const batches: StoredOp[][] = [];
    const { client, store } = device(network, { onApply: (_db, b) => batches.push([...b.ops]) });
    client.start();
    await until(() => client.status.state === "synced");
    await client.mutate((tx) => tx.upsert("note", "n", "title", "mine")).confirmed;
    expect(store.transaction((tx) => tx.entities("note"))).toEqual({ n: { title: "mine" } });
    expect(batches.flat().map((op) => op.id)).toEqual([1]);
    expect(traffic.socketsOf(client.deviceId)[0]!.received).toEqual([]); // R32: no echo
    await client.stop();
  });
});
