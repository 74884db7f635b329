import { DEFAULT_PULL_LIMIT, type SnapshotResponse } from "@syncline/protocol";
import { until } from "@syncline/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AppliedBatch, SnapshotRequest, Transport, TransportResult } from "./index.js";
import {
  type Change,
  device,
  directWriter,
  serverFold,
  testNetwork,
  WITHOUT_SNAPSHOTS,
} from "./testing/harness.js";

type SnapshotSend = () => Promise<TransportResult<SnapshotResponse>>;

/** `transport` with its snapshot requests passed through `around` (to fail a page, or write between pages). */
function aroundSnapshot(
  transport: Transport,
  around: (
    query: SnapshotRequest,
    send: SnapshotSend,
  ) => Promise<TransportResult<SnapshotResponse>>,
): Transport {
  return {
    ...transport,
    snapshot: (query, credentials) => around(query, () => transport.snapshot(query, credentials)),
  };
}

const notes = (count: number, prefix = "n"): Change[] =>
  Array.from({ length: count }, (_, i) => [`${prefix}${i}`, "title", `${prefix}${i}`] as const);

describe("C13: the snapshot bootstrap", () => {
  it("C13, R74: a new device loads the snapshot page by page, pulls since as_of with resync, and ends at the server's fold", async () => {
    const network = testNetwork();
    const { server, traffic } = network;
    const { write } = directWriter(server);
    await write([...notes(12), ["n3"], ["n5", "color", "red"]]);
    const pages: SnapshotResponse[] = [];
    const batches: AppliedBatch[] = [];
    const lists: unknown[] = [];
    const { client, store } = device(network, {
      snapshotLimit: 5,
      transport: aroundSnapshot(network.transport(), async (_query, send) => {
        const page = await send();
        if (page.ok) pages.push(page.value);
        // Another device writes while the pages load: R74 still ends at the whole log's fold.
        if (pages.length === 1)
          await write([["n7"], ["n0", "title", "changed"], ["n20", "title", "new"]]);
        return page;
      }),
      onApply: (_db, batch) => {
        batches.push(batch);
        if (batch.reset) lists.push(batch.list("note"));
      },
    });
    client.start();
    await until(() => client.status.state === "synced");

    const asOf = 14; // the head when the read began: 12 notes, a delete, a color
    expect(pages.map((page) => page.as_of)).toEqual([asOf, asOf, asOf]);
    const mine = traffic.snapshots.filter((s) => s.deviceId === client.deviceId);
    expect(mine.map((s) => [s.limit, s.cursor])).toEqual([
      [5, undefined],
      [5, pages[0]!.next_cursor],
      [5, pages[1]!.next_cursor],
    ]);
    expect(pages[2]!.next_cursor).toBeNull();
    const pulls = traffic.pulls.filter((p) => p.deviceId === client.deviceId);
    expect(pulls[0]).toEqual({
      deviceId: client.deviceId,
      since: asOf,
      limit: DEFAULT_PULL_LIMIT,
      resync: true,
    });
    // onApply: once for the snapshot (reset, no ops, the whole snapshot listed), then the pull's ops.
    expect(batches[0]!.reset).toBe(true);
    expect(batches[0]!.ops).toEqual([]);
    expect(Object.keys(lists[0] as object).length).toBeGreaterThanOrEqual(10);
    expect(batches.slice(1).every((b) => !b.reset)).toBe(true);
    // The pull changes what the pages had not seen: the delete of n7 (15) and n0's title (16,
    // page 1 was read before it); n20 (17) was in page 3 already (a page shows the state when
    // it was read, R72), so re-applying it changes nothing.
    expect(batches.slice(1).flatMap((b) => b.ops.map((op) => op.id))).toEqual([15, 16]);

    const fold = await serverFold(network);
    expect(fold.note?.n7).toBeUndefined();
    expect(fold.note?.n0).toEqual({ title: "changed" });
    expect(client.list("note")).toEqual(fold.note);
    expect(store.transaction((tx) => tx.cursor())).toBe(17);
    await network.server.scheduler.advance(1_000); // the ACK debounce (R28)
    expect(await server.cursor(client.deviceId)).toBe(17);
    await client.stop();
  });

  it("C13, C8, R63: a 410 reset loads the snapshot, keeps pending ops on top, then pushes them", async () => {
    const network = testNetwork();
    const { server, faults, traffic } = network;
    const DAY_MS = 24 * 60 * 60 * 1000;
    const token = server.token({ expiresInSeconds: 365 * 24 * 3600 });
    const { write, ack } = directWriter(server);
    await write([
      ["x", "title", "doomed"],
      ["y", "title", "first"],
    ]);
    const batches: AppliedBatch[] = [];
    const lists: unknown[] = [];
    const a = device(network, {
      token,
      onApply: (_db, batch) => {
        batches.push(batch);
        if (batch.reset) lists.push(batch.list("note"));
      },
    });
    a.client.start();
    await until(() => a.client.status.state === "synced");
    await a.client.stop(); // ACKs 2 over its socket
    await until(async () => (await server.cursor(a.client.deviceId)) === 2);

    // A stays away 91 days (R57: compaction stops waiting for it); meanwhile x is deleted,
    // y changes, z is added, and the writer's ACK lets compaction pass A's cursor.
    await server.scheduler.advance(91 * DAY_MS);
    await write([["x"], ["y", "title", "second"], ["z", "title", "new"]]);
    await ack(5);
    expect(await server.compact()).toMatchObject({ compactedUpTo: 5 });

    const edit = a.client.mutate((tx) => tx.upsert("note", "y", "title", "mine"));
    const release = faults.hold("push");
    a.client.start();
    await until(() => batches.length === 2 && a.client.status.state === "syncing");
    await until(() => a.store.transaction((tx) => tx.cursor()) === 5);
    const snapshots = traffic.snapshots.filter((s) => s.deviceId === a.client.deviceId);
    expect(snapshots.map((s) => s.cursor)).toEqual([undefined, undefined]); // first sync, then the reset
    const pulls = traffic.pulls.filter((p) => p.deviceId === a.client.deviceId);
    expect(pulls.map((p) => [p.since, p.resync])).toEqual([
      [2, true], // after the first snapshot (as_of 2)
      [2, false], // the reconnect's catch-up: 410
      [5, true], // after the reset's snapshot (as_of 5)
    ]);
    expect(batches.map((b) => [b.reset, b.ops.length])).toEqual([
      [true, 0],
      [true, 0],
    ]);
    // The reset's onApply lists what the user sees: the server state with the pending edit on top.
    expect(lists[1]).toEqual({ y: { title: "mine" }, z: { title: "new" } });
    expect(a.client.read("note", "x")).toBeUndefined();
    expect(a.store.transaction((tx) => tx.entities("note", "y"))).toEqual({
      y: { title: "second" },
    });
    expect(edit.state).toBe("sent");
    release();
    await edit.confirmed;
    await until(() => a.client.status.state === "synced");
    expect(a.client.read("note", "y")).toEqual({ title: "mine" });
    expect(a.client.list("note")).toEqual((await serverFold(network)).note);
    await a.client.stop();
  });

  it("C13, R74: falls back to the pull from 0 on a server without the route, and asks it no more", async () => {
    const network = testNetwork(WITHOUT_SNAPSHOTS);
    const { server, traffic } = network;
    await directWriter(server).write(notes(3));
    const { client } = device(network, { pullLimit: 2 });
    client.start();
    await until(() => client.status.state === "synced");
    await client.resync();
    const snapshots = traffic.snapshots.filter((s) => s.deviceId === client.deviceId);
    expect(snapshots).toHaveLength(1); // the 404, once for the client's life
    const pulls = traffic.pulls.filter((p) => p.deviceId === client.deviceId);
    expect(pulls.map((p) => [p.since, p.resync])).toEqual([
      [0, false],
      [2, true],
      [0, false], // resync(): R63's pull from 0
      [2, true],
    ]);
    expect(client.status.lastError).toBeNull(); // a missing route is no error
    expect(client.list("note")).toEqual((await serverFold(network)).note);
    await client.stop();
  });

  it("C13, C10: a snapshot refused with 401 is sent again with the refreshed token", async () => {
    const network = testNetwork();
    const { server, traffic } = network;
    await directWriter(server).write(notes(2));
    let refreshes = 0;
    const { client } = device(network, {
      token: server.token({ expiresInSeconds: -60 }),
      refreshToken: () => {
        refreshes++;
        return server.token();
      },
    });
    client.start();
    await until(() => client.status.state === "synced");
    expect(refreshes).toBe(1);
    expect(traffic.snapshots.filter((s) => s.deviceId === client.deviceId)).toHaveLength(2);
    expect(client.list("note")).toEqual((await serverFold(network)).note);
    await client.stop();
  });

  it("C13: a failure between pages leaves cursor 0; the next catch-up loads it again with a wipe, nothing stale left", async () => {
    const network = testNetwork();
    const { server } = network;
    const { write } = directWriter(server);
    await write(notes(10));
    let failNextPage = true;
    const batches: AppliedBatch[] = [];
    const { client, store, scheduler } = device(network, {
      snapshotLimit: 4,
      transport: aroundSnapshot(network.transport(), async (query, send) => {
        if (query.cursor === undefined || !failNextPage) return send();
        failNextPage = false;
        return { ok: false, failure: { type: "network", message: "connection lost" } };
      }),
      onApply: (_db, batch) => batches.push(batch),
    });
    client.start();
    await until(() => client.status.lastError?.type === "network");
    // Page 1 (n0..n3) committed; the cursor stays 0 and the app was not told.
    store.transaction((tx) => {
      expect(tx.cursor()).toBe(0);
      expect(Object.keys(tx.entities("note")).sort()).toEqual(["n0", "n1", "n2", "n3"]);
    });
    expect(batches).toEqual([]);
    // Between the two attempts, n1 (loaded by page 1) is deleted and n2 changes.
    await write([["n1"], ["n2", "title", "changed"]]);
    await scheduler.next(); // the reconnect
    await until(() => client.status.state === "synced");
    const fold = await serverFold(network);
    expect(fold.note?.n1).toBeUndefined();
    expect(client.read("note", "n1")).toBeUndefined();
    expect(client.list("note")).toEqual(fold.note);
    expect(store.transaction((tx) => tx.cursor())).toBe(12);
    expect(batches.map((b) => [b.reset, b.ops.length])).toEqual([[true, 0]]);
    await client.stop();
  });

  it("C12, C13: onApply throwing in the last page's transaction leaves cursor 0; the next catch-up loads the snapshot again", async () => {
    const network = testNetwork();
    const { server, traffic } = network;
    await directWriter(server).write(notes(5));
    let failing = true;
    const lists: unknown[] = [];
    const { client, store, scheduler } = device(network, {
      snapshotLimit: 2,
      onApply: (_db, batch) => {
        if (failing) throw new Error("app table is locked");
        lists.push(batch.list("note"));
      },
    });
    client.start();
    await until(() => client.status.lastError?.type === "local");
    store.transaction((tx) => {
      expect(tx.cursor()).toBe(0);
      // Pages 1 and 2 committed; the last one rolled back with the hook.
      expect(Object.keys(tx.entities("note")).sort()).toEqual(["n0", "n1", "n2", "n3"]);
    });
    failing = false;
    await scheduler.next(); // the reconnect
    await until(() => client.status.state === "synced");
    const fold = await serverFold(network);
    expect(lists).toEqual([fold.note]);
    expect(store.transaction((tx) => tx.cursor())).toBe(5);
    const firstPages = traffic.snapshots.filter(
      (s) => s.deviceId === client.deviceId && s.cursor === undefined,
    );
    expect(firstPages).toHaveLength(2);
    await client.stop();
  });

  it("C13: a device that stopped mid-snapshot (a crash) loads it again with a wipe when it starts", async () => {
    const network = testNetwork();
    const { server } = network;
    const { write } = directWriter(server);
    await write(notes(10));
    // The first run never gets past page 1: its page 2 never answers.
    const crashed = device(network, {
      snapshotLimit: 4,
      transport: aroundSnapshot(network.transport(), (query, send) =>
        query.cursor === undefined ? send() : new Promise(() => {}),
      ),
    });
    crashed.client.start();
    await until(
      () => crashed.store.transaction((tx) => Object.keys(tx.entities("note")).length) === 4,
    );
    await write([["n0"], ["n9", "title", "changed"]]);
    // The process is gone; the same store starts again with a new client.
    const { client, store } = device(network, { store: crashed.store, snapshotLimit: 4 });
    expect(store.transaction((tx) => tx.cursor())).toBe(0);
    client.start();
    await until(() => client.status.state === "synced");
    const fold = await serverFold(network);
    expect(client.read("note", "n0")).toBeUndefined();
    expect(client.list("note")).toEqual(fold.note);
    expect(store.transaction((tx) => tx.cursor())).toBe(12);
    await client.stop();
  });

  it("C13, R74: a device bootstrapped by snapshot while another keeps pushing, and its own pushes are confirmed, ends at the server's fold (property)", async () => {
    const change: fc.Arbitrary<Change> = fc.oneof(
      fc.tuple(
        fc.constantFrom("a", "b", "c", "d"),
        fc.constantFrom("title", "rank"),
        fc.string({ maxLength: 3 }),
      ),
      fc.tuple(fc.constantFrom("a", "b", "c", "d")),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(change, { maxLength: 12 }),
        fc.array(fc.array(change, { maxLength: 4 }), { maxLength: 6 }),
        fc.array(change, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        async (seed, betweenPages, local, confirmAt, snapshotLimit) => {
          const network = testNetwork();
          const { write } = directWriter(network.server);
          await write(seed);
          const releasePush = network.faults.hold("push");
          let page = 0;
          const { client } = device(network, {
            snapshotLimit,
            transport: aroundSnapshot(network.transport(), async (_query, send) => {
              const answer = await send();
              const index = page++;
              await write(betweenPages[index] ?? []);
              // This device's own push commits after this page was read, and its
              // confirmation is applied before the page is loaded.
              if (index === confirmAt || (answer.ok && answer.value.next_cursor === null)) {
                releasePush();
                await until(() => client.status.pendingCount === 0);
              }
              return answer;
            }),
          });
          client.mutate((tx) => {
            for (const [entityId, field, value] of local) {
              if (field === undefined) tx.delete("note", entityId);
              else tx.upsert("note", entityId, field, value!);
            }
          });
          client.start();
          await until(() => client.status.state === "synced");
          await client.syncNow(); // past the last writes between pages and its own ops
          expect(client.list("note")).toEqual((await serverFold(network)).note ?? {});
          await client.stop();
        },
      ),
      { numRuns: 40 },
    );
  });
});
