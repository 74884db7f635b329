import { materialize, reduceOps, type StoredOp } from "@syncline/protocol";
import { ManualScheduler, until } from "@syncline/testkit";
import { describe, expect, it } from "vitest";
import { receiveRemote } from "./lamport.js";
import type { AppliedBatch } from "./sync-client.js";
import { device, FakeServer } from "./testing/harness.js";

/** Another device of the same user that writes `count` notes and waits until stored. */
async function otherDeviceWrites(server: FakeServer, count: number, prefix = "n"): Promise<void> {
  const other = device(server);
  other.client.start();
  const m = other.client.mutate((tx) => {
    for (let i = 0; i < count; i++) tx.upsert("note", `${prefix}${i}`, "title", `${prefix}${i}`);
  });
  await m.confirmed;
  await other.client.stop();
}

function serverState(server: FakeServer) {
  return materialize(reduceOps(server.log)).note ?? {};
}

describe("inbound: catch-up and live frames", () => {
  it("pulls pages until has_more is false, then applies live frames; cursor and clock follow", async () => {
    const server = new FakeServer();
    await otherDeviceWrites(server, 2500);
    const { client, store } = device(server, { pullLimit: 1000 });
    client.start();
    await until(() => client.status.state === "synced");
    const mine = server.pulls.filter((p) => p.deviceId === client.deviceId);
    expect(mine.map((p) => [p.since, p.resync])).toEqual([
      [0, false],
      [1000, true],
      [2000, true],
    ]);
    expect(client.list("note")).toEqual(serverState(server));
    expect(store.transaction((tx) => tx.cursor())).toBe(2500);

    const writer = device(server);
    writer.client.start();
    await until(() => writer.client.status.state === "synced");
    const pullsBefore = server.pulls.length;
    const live = writer.client.mutate((tx) => tx.upsert("note", "live", "title", "hello"));
    await live.confirmed;
    await until(() => client.read("note", "live") !== undefined);
    expect(server.pulls.length).toBe(pullsBefore); // it came over the socket
    expect(client.read("note", "live")).toEqual({ title: "hello" });
    expect(store.transaction((tx) => tx.cursor())).toBe(2501);
    const maxRemote = Math.max(...server.log.map((op) => op.lamport_ts));
    expect(store.transaction((tx) => tx.lamport())).toBeGreaterThan(maxRemote);
    // A local op is stamped above every remote stamp seen.
    const next = client.mutate((tx) => tx.upsert("note", "mine", "title", "x"));
    expect(next.ops[0]!.lamport_ts).toBeGreaterThan(maxRemote);
    await client.stop();
    await writer.client.stop();
  });

  it("applies ops seen by both pull and socket exactly once", async () => {
    const server = new FakeServer();
    const batches: AppliedBatch[] = [];
    const { client, store } = device(server, { onApply: (_db, batch) => batches.push(batch) });
    client.start();
    await until(() => client.status.state === "synced");
    server.holdFrames = true;
    await otherDeviceWrites(server, 3, "a");
    const clockBefore = store.transaction((tx) => tx.lamport());
    await client.syncNow(); // the pull brings ops 1..3…
    server.releaseFrames(); // …the socket brings them again…
    await otherDeviceWrites(server, 2, "b");
    server.sendOps(client.deviceId, server.log.slice(1)); // …and a backlog overlaps: 2..5
    server.releaseFrames(); // 4..5 once more
    await until(() => client.read("note", "b1") !== undefined && client.status.state === "synced");
    expect(batches.flatMap((b) => b.ops.map((op) => op.id))).toEqual([1, 2, 3, 4, 5]);
    // One clock merge per op: a second merge of any op would push the clock higher.
    const expectedClock = server.log.reduce(
      (c, op) => receiveRemote(c, op.lamport_ts),
      clockBefore,
    );
    expect(store.transaction((tx) => tx.lamport())).toBe(expectedClock);
    expect(store.transaction((tx) => tx.cursor())).toBe(5);
    await client.stop();
  });

  it("runs onApply in the same transaction: when it throws, nothing is applied and the next catch-up retries", async () => {
    const server = new FakeServer();
    await otherDeviceWrites(server, 2);
    let failing = true;
    const seen: number[] = [];
    const { client, store, scheduler } = device(server, {
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
    expect(client.list("note")).toEqual(serverState(server));
    await client.stop();
  });
});

describe("inbound: 410 and resync", () => {
  it("wipes op-derived state, re-pulls from 0, and keeps pending ops on top, then pushes them", async () => {
    const server = new FakeServer();
    const writer = device(server);
    writer.client.start();
    await writer.client.mutate((tx) => {
      tx.upsert("note", "x", "title", "doomed");
      tx.upsert("note", "y", "title", "first");
    }).confirmed;

    const batches: AppliedBatch[] = [];
    const a = device(server, { onApply: (_db, batch) => batches.push(batch), pullLimit: 1 });
    a.client.start();
    await until(() => a.client.status.state === "synced");
    expect(a.client.read("note", "x")).toEqual({ title: "doomed" });
    await a.client.stop();

    // While A is away: x is deleted, y changes, and the log is compacted past A's cursor,
    // so the delete itself is gone: only a wipe can make A forget x.
    await writer.client.mutate((tx) => {
      tx.delete("note", "x");
      tx.upsert("note", "y", "title", "second");
      tx.upsert("note", "z", "title", "new");
    }).confirmed;
    server.compact(server.log.at(-1)!.id);
    expect(server.log.some((op) => op.entity_id === "x")).toBe(false);

    const edit = a.client.mutate((tx) => tx.upsert("note", "y", "title", "mine"));
    let release!: () => void;
    server.gate = new Promise((resolve) => {
      release = resolve;
    });
    a.client.start();
    const head = server.log.at(-1)!.id;
    await until(
      () => batches.some((b) => b.reset) && a.store.transaction((tx) => tx.cursor()) === head,
    );
    // First sync (pages at 0, 1), the 410 at 2, then R63 from 0 through the compacted range.
    expect(
      server.pulls.filter((p) => p.deviceId === a.client.deviceId).map((p) => [p.since, p.resync]),
    ).toEqual([
      [0, false],
      [1, true],
      [2, false],
      [0, false],
      [4, true],
    ]);
    expect(a.client.read("note", "x")).toBeUndefined();
    expect(a.client.read("note", "z")).toEqual({ title: "new" });
    expect(a.client.read("note", "y")).toEqual({ title: "mine" }); // pending edit on top
    expect(a.store.transaction((tx) => tx.entities("note", "y"))).toEqual({
      y: { title: "second" },
    });
    expect(a.store.transaction((tx) => tx.cursor())).toBe(server.log.at(-1)!.id);
    expect(edit.state).toBe("sent");
    server.gate = undefined;
    release();
    await edit.confirmed;
    expect(a.client.read("note", "y")).toEqual({ title: "mine" });
    expect(a.client.list("note")).toEqual(serverState(server));
    await a.client.stop();
    await writer.client.stop();
  });

  it("handles resync_required on the socket by reconnecting through a full re-pull", async () => {
    const server = new FakeServer();
    await otherDeviceWrites(server, 3);
    const { client, scheduler } = device(server);
    client.start();
    await until(() => client.status.state === "synced");
    const pulls = server.pulls.length;
    server.resyncSockets();
    await until(() => client.status.state === "offline");
    await scheduler.next();
    await until(() => server.pulls.length > pulls && client.status.state === "synced");
    expect(server.pulls.slice(pulls).map((p) => p.since)).toEqual([0]);
    expect(client.list("note")).toEqual(serverState(server));
    await client.stop();
  });

  it("backs off instead of looping when the server keeps asking for a resync", async () => {
    const server = new FakeServer();
    await otherDeviceWrites(server, 2);
    const { client, scheduler } = device(server, { ackDebounceMs: 600_000 });
    client.start();
    await until(() => client.status.state === "synced");
    server.compact(server.log.at(-1)!.id + 1); // a watermark no cursor can reach
    server.resyncSockets();
    await until(() => client.status.state === "offline");
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) delays.push(await scheduler.next());
    expect(delays).toEqual([375, 750, 1500, 3000]);
    await client.stop();
  });

  it("resync() wipes and re-pulls on request, keeping pending ops", async () => {
    const server = new FakeServer();
    await otherDeviceWrites(server, 2);
    const { client, store } = device(server);
    client.start();
    await until(() => client.status.state === "synced");
    server.online = false;
    const edit = client.mutate((tx) => tx.upsert("note", "n0", "title", "local"));
    server.online = true;
    await client.resync();
    expect(client.read("note", "n0")).toEqual({ title: "local" });
    await edit.confirmed;
    expect(store.transaction((tx) => tx.pendingCount())).toBe(0);
    expect(client.list("note")).toEqual(serverState(server));
    await client.stop();
  });
});

describe("inbound: ACK", () => {
  it("ACKs the highest applied id once per debounce window, over the socket", async () => {
    const server = new FakeServer();
    const scheduler = new ManualScheduler();
    const { client } = device(server, { scheduler, ackDebounceMs: 1000 });
    client.start();
    await until(() => client.status.state === "synced");
    const socket = server.openSockets(client.deviceId)[0]!;
    for (let i = 0; i < 3; i++) await otherDeviceWrites(server, 1, `w${i}-`);
    await until(() => client.read("note", "w2-0") !== undefined);
    await scheduler.advance(999);
    expect(socket.received).toEqual([]);
    await scheduler.advance(1);
    expect(socket.received).toEqual([{ ack: 3 }]);
    expect(server.acks.get(client.deviceId)).toBe(3);
    await scheduler.advance(5_000);
    expect(socket.received).toEqual([{ ack: 3 }]);
    await client.stop();
  });

  // R28: no frame ever carries a device's own ops, so a pull has to.
  it("moves its cursor and ACK past its own pushed ops, so it never holds compaction back", async () => {
    const server = new FakeServer();
    const scheduler = new ManualScheduler();
    const { client } = device(server, { scheduler, ackDebounceMs: 1000 });
    client.start();
    await until(() => client.status.state === "synced");
    const socket = server.openSockets(client.deviceId)[0]!;
    const [stored] = await client.mutate((tx) => tx.upsert("note", "mine", "title", "x")).confirmed;
    const pullsBefore = server.pulls.length;
    await scheduler.advance(1000); // the settle pull
    await until(() => server.pulls.length > pullsBefore);
    await scheduler.advance(1000); // the ACK debounce
    await until(() => socket.received.length > 0);
    expect(socket.received).toEqual([{ ack: stored!.id }]);
    await client.stop();
  });

  it("ACKs with POST /sync/ack when the socket is not open", async () => {
    const server = new FakeServer();
    server.refuseSockets = true;
    await otherDeviceWrites(server, 4);
    const { client, scheduler } = device(server, { ackDebounceMs: 500 });
    client.start();
    await until(() => client.list("note").n3 !== undefined);
    expect(server.acks.has(client.deviceId)).toBe(false);
    await scheduler.advance(500);
    expect(server.acks.get(client.deviceId)).toBe(4);
    await client.stop();
  });
});

describe("inbound: reconnect and heartbeat", () => {
  it("does not reconnect in a loop after close code 1008 (a frame of ours was refused)", async () => {
    const server = new FakeServer();
    const { client, scheduler } = device(server);
    client.start();
    await until(() => client.status.state === "synced");
    server.dropSockets(1008);
    await until(() => client.status.state === "offline");
    expect(client.status.lastError?.type).toBe("protocol");
    await scheduler.advance(10 * 60_000);
    expect(server.sockets).toHaveLength(1);
    await client.syncNow(); // an explicit request tries again
    await until(() => client.status.state === "synced");
    expect(server.sockets).toHaveLength(2);
    await client.stop();
  });

  it("reconnects with backoff when the socket drops, and catches up what it missed", async () => {
    const server = new FakeServer();
    const { client, scheduler } = device(server, {
      backoff: { baseMs: 200, maxMs: 5_000 },
      ackDebounceMs: 60_000,
    });
    client.start();
    await until(() => client.status.state === "synced");
    server.refuseSockets = true;
    server.dropSockets();
    await until(() => client.status.state === "offline");
    await otherDeviceWrites(server, 2);
    // Refused reconnects back off: 150, 300, 600 (ceiling/2 + 0.5·ceiling/2).
    expect(await scheduler.next()).toBe(150);
    expect(await scheduler.next()).toBe(300);
    expect(await scheduler.next()).toBe(600);
    server.refuseSockets = false;
    await scheduler.next();
    await until(() => client.status.state === "synced");
    expect(client.list("note")).toEqual(serverState(server));
    expect(server.sockets.filter((s) => s.deviceId === client.deviceId)).toHaveLength(5);
    await client.stop();
  });

  it("closes a socket that stops answering pings and opens a new one", async () => {
    const server = new FakeServer();
    const { client, scheduler } = device(server, {
      heartbeatIntervalMs: 20_000,
      heartbeatTimeoutMs: 5_000,
    });
    client.start();
    await until(() => client.status.state === "synced");
    await scheduler.advance(100_000); // pongs come back: the socket stays
    expect(server.sockets).toHaveLength(1);
    expect(
      server.sockets[0]!.received.filter((f) => JSON.stringify(f) === '{"type":"ping"}'),
    ).toHaveLength(5);

    server.answerPings = false;
    await scheduler.advance(20_000 + 4_999);
    expect(server.openSockets(client.deviceId)).toHaveLength(1);
    await scheduler.advance(1);
    expect(client.status.lastError?.message).toMatch(/heartbeat/);
    expect(server.sockets[0]!.closed).toBe(true);
    await scheduler.advance(1_000);
    await until(() => client.status.state === "synced");
    expect(server.openSockets(client.deviceId)).toHaveLength(1);
    expect(server.sockets).toHaveLength(2);
    await client.stop();
  });
});

describe("inbound: confirmations", () => {
  it("takes an op off the queue when the log shows it, even if its push answer was lost (R46)", async () => {
    const server = new FakeServer();
    const { client, store } = device(server);
    client.start();
    await until(() => client.status.state === "synced");
    server.loseNextAnswer = true;
    const m = client.mutate((tx) => tx.upsert("note", "n", "title", "mine"));
    await until(() => client.status.lastError?.type === "network");
    expect(server.log).toHaveLength(1);
    expect(m.state).toBe("pending");
    await client.resync(); // pulls the log, which holds the op
    expect((await m.confirmed).map((op) => op.id)).toEqual([1]);
    expect(store.transaction((tx) => tx.pendingCount())).toBe(0);
    expect(server.pushes).toHaveLength(1); // no retry was needed
    await client.stop();
  });

  it("applies this device's confirmed ops to the server state even though the socket never echoes them", async () => {
    const server = new FakeServer();
    const batches: StoredOp[][] = [];
    const { client, store } = device(server, { onApply: (_db, b) => batches.push([...b.ops]) });
    client.start();
    await until(() => client.status.state === "synced");
    await client.mutate((tx) => tx.upsert("note", "n", "title", "mine")).confirmed;
    expect(store.transaction((tx) => tx.entities("note"))).toEqual({ n: { title: "mine" } });
    expect(batches.flat().map((op) => op.id)).toEqual([1]);
    await client.stop();
  });
});
