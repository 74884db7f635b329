import { randomUUID } from "node:crypto";
import { CLOSE_CODE, DEFAULT_PULL_LIMIT } from "@syncline/protocol";
import { until } from "@syncline/testkit";
import { describe, expect, it } from "vitest";
import type { Credentials } from "./index.js";
import { type WatchServerStateOptions, watchServerState } from "./server-state.js";
import {
  directWriter,
  serverFold,
  type TestNetwork,
  testNetwork,
  WITHOUT_SNAPSHOTS,
} from "./testing/harness.js";

const notes = (count: number, prefix = "n") =>
  Array.from({ length: count }, (_, i) => [`${prefix}${i}`, "title", `${prefix}${i}`] as const);

/** A view over the network's recorded, faulty transport, with an id of its own and the server's clock. */
function view(network: TestNetwork, options: Partial<WatchServerStateOptions> = {}) {
  const credentials: Credentials = { token: network.server.token(), deviceId: randomUUID() };
  const watch = watchServerState({
    transport: network.transport(),
    credentials: () => credentials,
    scheduler: network.server.scheduler,
    random: () => 0.5,
    ...options,
  });
  let notified = 0;
  watch.subscribe(() => notified++);
  return { watch, deviceId: credentials.deviceId, notified: () => notified };
}

describe("watchServerState", () => {
  it("C14: reports snapshot and pull progress while a read takes more than one page, and null once live", async () => {
    const snapshotNetwork = testNetwork();
    await directWriter(snapshotNetwork.server).write(notes(5));
    const seen: unknown[] = [];
    const reading = view(snapshotNetwork, { snapshotLimit: 2 });
    reading.watch.subscribe(() => {
      if (seen.at(-1) !== reading.watch.catchUp) seen.push(reading.watch.catchUp);
    });
    await until(() => reading.watch.status === "live");
    expect(seen.filter((p) => p !== null)).toEqual([
      { phase: "snapshot", fieldsLoaded: 2 },
      { phase: "snapshot", fieldsLoaded: 4 },
    ]);
    expect(reading.watch.catchUp).toBeNull();
    reading.watch.close();

    const pullNetwork = testNetwork(WITHOUT_SNAPSHOTS);
    await directWriter(pullNetwork.server).write(notes(5));
    const pulled: unknown[] = [];
    const pulling = view(pullNetwork, { pullLimit: 2 });
    pulling.watch.subscribe(() => {
      if (pulled.at(-1) !== pulling.watch.catchUp) pulled.push(pulling.watch.catchUp);
    });
    await until(() => pulling.watch.status === "live");
    expect(pulled.filter((p) => p !== null)).toEqual([
      { phase: "pull", since: 0, reached: 2, head: 5 },
      { phase: "pull", since: 0, reached: 4, head: 5 },
      { phase: "pull", since: 0, reached: 5, head: 5 },
    ]);
    expect(pulling.watch.catchUp).toBeNull();
    pulling.watch.close();
  });

  it("R74: loads the snapshot, pulls since as_of with resync, goes live, and applies ops frames; it never ACKs", async () => {
    const network = testNetwork();
    const { server, traffic } = network;
    const { write } = directWriter(server);
    await write([...notes(5), ["n2"]]);
    const { watch, deviceId, notified } = view(network, { snapshotLimit: 2 });
    expect(watch.status).toBe("loading");
    await until(() => watch.status === "live");
    expect(watch.state()).toEqual(await serverFold(network));
    expect(watch.state()).toBe(watch.state()); // the same object until it changes
    expect(traffic.snapshots.filter((s) => s.deviceId === deviceId)).toHaveLength(2);
    expect(traffic.pulls.filter((p) => p.deviceId === deviceId)).toEqual([
      { deviceId, since: 6, limit: DEFAULT_PULL_LIMIT, resync: true },
    ]);
    expect(traffic.socketsOf(deviceId).map((s) => s.since)).toEqual([6]);

    const before = watch.state();
    const heard = notified();
    await write([["n0", "title", "live"], ["n1"]]);
    await until(() => watch.state() !== before);
    expect(notified()).toBeGreaterThan(heard);
    expect(watch.state()).toEqual(await serverFold(network));
    expect(watch.state().note?.n1).toBeUndefined();

    await server.scheduler.advance(60_000); // ACK debounces of a device would have passed
    expect(traffic.acks).toEqual([]);
    expect(traffic.socketsOf(deviceId)[0]!.sent.filter((frame) => "ack" in frame)).toEqual([]);
    expect(traffic.socketsOf(deviceId)[0]!.sent.length).toBeGreaterThan(0); // pings (R34)
    expect(await server.cursor(deviceId)).toBe(0);
    watch.close();
    expect(watch.status).toBe("offline");
    await until(() => server.openSockets() === 0);
    expect(server.scheduler.pending).toEqual([]);
  });

  it("with entityType, asks the server for that type only and ignores the others' frames", async () => {
    const network = testNetwork();
    const { server, traffic } = network;
    const { write } = directWriter(server);
    await write(notes(2));
    await write([["t1", "title", "song"]], "track");
    const { watch, deviceId } = view(network, { entityType: "track" });
    await until(() => watch.status === "live");
    expect(watch.state()).toEqual({ track: { t1: { title: "song" } } });
    expect(traffic.snapshots.filter((s) => s.deviceId === deviceId)[0]?.entityType).toBe("track");
    const before = watch.state();
    await write([["n9", "title", "ignored"]]);
    await write([["t2", "title", "another"]], "track");
    await until(() => watch.state() !== before);
    expect(watch.state()).toEqual({ track: { t1: { title: "song" }, t2: { title: "another" } } });
    watch.close();
  });

  it("reconnects with backoff after a dropped socket, from the highest id it applied", async () => {
    const network = testNetwork();
    const { server, faults, traffic } = network;
    const { write } = directWriter(server);
    await write(notes(3));
    const { watch, deviceId } = view(network, { backoff: { baseMs: 200, maxMs: 5_000 } });
    await until(() => watch.status === "live");
    await write([["n0", "title", "seen live"]]);
    await until(() => watch.state().note?.n0?.title === "seen live");
    faults.refuseSockets = true;
    faults.cutSockets();
    await until(() => watch.status === "offline");
    expect(watch.lastError?.type).toBe("network");
    await write([["n1"], ["n5", "title", "while away"]]);
    // Refused reconnects back off: 150, 300 (ceiling/2 + 0.5·ceiling/2).
    expect(await server.scheduler.next()).toBe(150);
    expect(await server.scheduler.next()).toBe(300);
    faults.refuseSockets = false;
    await server.scheduler.next();
    await until(() => watch.status === "live");
    expect(watch.lastError).toBeNull();
    expect(watch.state()).toEqual(await serverFold(network));
    // Each reconnect caught up by pull from 4, the highest id applied; the snapshot was read once.
    const pulls = traffic.pulls.filter((p) => p.deviceId === deviceId);
    expect(pulls.slice(1).map((p) => [p.since, p.resync])).toEqual([
      [4, false],
      [6, false],
      [6, false],
    ]);
    expect(traffic.socketsOf(deviceId).map((s) => s.since)).toEqual([3, 6, 6, 6]);
    expect(traffic.snapshots.filter((s) => s.deviceId === deviceId)).toHaveLength(1);
    watch.close();
  });

  it("R30, R63: loads the snapshot again on resync_required and close 4410, and on a 410, with nothing stale left", async () => {
    const network = testNetwork();
    const { server, faults, traffic } = network;
    const { write, ack } = directWriter(server);
    await write(notes(3));
    const { watch, deviceId } = view(network);
    await until(() => watch.status === "live");
    // The socket drops; while the reconnect's handshake waits, n0 is deleted and a device
    // ACKs past the view's position (3), so compaction passes it (the view never ACKs, R57).
    const releaseHandshake = faults.hold("socket");
    faults.cutSockets();
    await until(() => watch.status === "offline");
    await server.scheduler.next(); // the reconnect: a catch-up from 3, then the handshake waits
    await until(() => traffic.socketsOf(deviceId).length === 2);
    await write([["n0"], ["n1", "title", "changed"]]);
    await ack(5);
    expect(await server.compact()).toMatchObject({ compactedUpTo: 5 });
    releaseHandshake();
    await until(() => traffic.socketsOf(deviceId)[1]!.closeCode !== undefined);
    expect(traffic.socketsOf(deviceId)[1]!.received).toEqual([
      { type: "resync_required", compacted_up_to: 5 },
    ]);
    expect(traffic.socketsOf(deviceId)[1]!.closeCode).toBe(CLOSE_CODE.resyncRequired);
    await until(() => watch.status === "offline");
    await server.scheduler.next();
    await until(() => watch.status === "live");
    expect(traffic.snapshots.filter((s) => s.deviceId === deviceId)).toHaveLength(2);
    expect(watch.state().note?.n0).toBeUndefined();
    expect(watch.state()).toEqual(await serverFold(network));

    // Away again while more is written and compacted: the reconnect's pull gets 410.
    faults.refuseSockets = true;
    faults.cutSockets();
    await until(() => watch.status === "offline");
    await write([["n2"], ["n7", "title", "new"]]);
    await ack(7);
    expect(await server.compact()).toMatchObject({ compactedUpTo: 7 });
    faults.refuseSockets = false;
    await server.scheduler.next();
    await until(() => watch.status === "live");
    const pulls = traffic.pulls.filter((p) => p.deviceId === deviceId);
    expect(pulls.at(-2)).toMatchObject({ since: 5, resync: false }); // the 410
    expect(pulls.at(-1)).toMatchObject({ since: 7, resync: true }); // after the third snapshot
    expect(traffic.snapshots.filter((s) => s.deviceId === deviceId)).toHaveLength(3);
    expect(watch.state().note?.n2).toBeUndefined();
    expect(watch.state()).toEqual(await serverFold(network));
    watch.close();
  });

  it("R74: reads a server without the snapshot route by pull from 0, and asks it once", async () => {
    const network = testNetwork(WITHOUT_SNAPSHOTS);
    const { server, faults, traffic } = network;
    const { write } = directWriter(server);
    await write(notes(3));
    const { watch, deviceId } = view(network, { pullLimit: 2 });
    await until(() => watch.status === "live");
    expect(watch.state()).toEqual(await serverFold(network));
    expect(
      traffic.pulls.filter((p) => p.deviceId === deviceId).map((p) => [p.since, p.resync]),
    ).toEqual([
      [0, false],
      [2, true],
    ]);
    faults.cutSockets();
    await until(() => watch.status === "offline");
    await server.scheduler.next();
    await until(() => watch.status === "live");
    expect(traffic.snapshots.filter((s) => s.deviceId === deviceId)).toHaveLength(1);
    watch.close();
  });

  it("a refused token is an error, retried with the credentials asked anew", async () => {
    const network = testNetwork();
    const { server } = network;
    await directWriter(server).write(notes(1));
    const tokens = [server.token({ expiresInSeconds: -60 }), server.token()];
    const deviceId = randomUUID();
    const { watch } = view(network, {
      credentials: () => ({ token: tokens[0]!, deviceId }),
    });
    await until(() => watch.status === "error");
    expect(watch.lastError?.type).toBe("auth_required");
    expect(watch.state()).toEqual({});
    tokens.shift();
    await server.scheduler.next();
    await until(() => watch.status === "live");
    expect(watch.state()).toEqual(await serverFold(network));
    watch.close();
  });

  it("stops on a request the server rejects: error, no retry", async () => {
    const network = testNetwork();
    const { watch } = view(network, { entityType: "" });
    await until(() => watch.status === "error");
    expect(watch.lastError).toMatchObject({ type: "invalid_request", status: 400 });
    expect(network.server.scheduler.pending).toEqual([]);
    watch.close();
  });
});
