import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHttpTransport } from "@syncline/client";
import { PlaylistRepositoryHost, type PlaylistView } from "@syncline/desktop-client";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, userToken } from "./testing/clients.js";
import { useServerEnvironment } from "./testing/server-environment.js";
import type { ServerProcess } from "./testing/server-process.js";

// App instances (devices of one user, one SQLite file each) against a real server process.
const environment = useServerEnvironment({ SYNCLINE_ACK_FLUSH_MS: "100" });
let server: ServerProcess;
let dir: string;
const opened: PlaylistRepositoryHost[] = [];

beforeAll(async () => {
  server = await environment.start();
  dir = await mkdtemp(join(tmpdir(), "syncline-playlists-"));
});
afterAll(async () => {
  for (const host of opened) await host.close().catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

/** Opens one device of the user, with short backoff so restarts are noticed quickly. */
async function open(token: string) {
  const host = await PlaylistRepositoryHost.open({
    file: join(dir, `${randomUUID()}.db`),
    url: server.url,
    token,
    backoff: { baseMs: 50, maxMs: 500 },
    reflectTimeoutMs: 5000,
  });
  opened.push(host);
  return host;
}

async function twoDevices() {
  const token = await userToken(environment.env, randomUUID());
  const a = await open(token);
  const b = await open(token);
  await eventually("both synced", () => a.status.state === "synced" && b.status.state === "synced");
  return { a, b, token };
}

/** Polls the (async) lists of every device until `predicate` holds for them. */
async function eventuallyLists(
  what: string,
  hosts: readonly PlaylistRepositoryHost[],
  predicate: (lists: PlaylistView[][]) => boolean,
  timeoutMs = 10_000,
): Promise<PlaylistView[][]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lists = await Promise.all(hosts.map((host) => host.list()));
    if (predicate(lists)) return lists;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(lists)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const same = (lists: PlaylistView[][]) =>
  lists.every((list) => JSON.stringify(list) === JSON.stringify(lists[0]));
const tracksOf = (list: PlaylistView[]) => list[0]?.entries.map((entry) => entry.track);

describe("two app instances", () => {
  it("an edit on one shows in the other's own tables, both ways", async () => {
    const { a, b } = await twoDevices();
    const { id } = await a.create("Road trip");
    await a.addTrack(id, "Born to Run");
    await a.addTrack(id, "Thunder Road");
    await eventuallyLists("b has both tracks", [b], ([list]) => list![0]?.entries.length === 2);
    expect(tracksOf(await b.list())).toEqual(["Born to Run", "Thunder Road"]);

    await b.rename(id, "Summer");
    const first = (await b.get(id))!.entries[0]!;
    await b.removeEntry(id, first.entryId);
    const [list] = await eventuallyLists(
      "same lists",
      [a, b],
      (lists) => same(lists) && lists[0]![0]?.name === "Summer",
    );
    expect(list!.map((playlist) => [playlist.id, playlist.name])).toEqual([[id, "Summer"]]);
    expect(tracksOf(list!)).toEqual(["Thunder Road"]);
  });

  it("a delete propagates and hides the playlist's entries", async () => {
    const { a, b } = await twoDevices();
    const kept = await a.create("Kept");
    const gone = await a.create("Gone");
    await a.addTrack(gone.id, "x");
    await eventuallyLists("b has both", [b], ([list]) => list!.length === 2);
    await b.remove(gone.id);
    await eventuallyLists("a lost it", [a], ([list]) => list!.length === 1);
    expect(await a.list()).toEqual([{ id: kept.id, name: "Kept", entries: [] }]);
    await expect(a.rename(gone.id, "Back")).rejects.toMatchObject({ type: "not_found" });
  });

  it("concurrent adds of different tracks to one playlist both survive on both", async () => {
    const { a, b } = await twoDevices();
    const { id } = await a.create("Mix");
    await a.addTrack(id, "first");
    await eventuallyLists("b has it", [b], ([list]) => list![0]?.entries.length === 1);
    // sync off on both: the two adds are concurrent, at the same place (the end, and index 1)
    await a.switchTo("local");
    await b.switchTo("local");
    await a.addTrack(id, "from a");
    await b.addTrack(id, "from b", 1);
    await a.switchTo("hybrid");
    await b.switchTo("hybrid");
    const [list] = await eventuallyLists(
      "both have both",
      [a, b],
      (lists) => same(lists) && lists[0]![0]?.entries.length === 3,
    );
    expect(tracksOf(list!)?.[0]).toBe("first");
    expect([...tracksOf(list!)!].sort()).toEqual(["first", "from a", "from b"]);
  });

  it("concurrent moves converge to the same order on both", async () => {
    const { a, b } = await twoDevices();
    const { id } = await a.create("Mix");
    for (const track of ["t1", "t2", "t3", "t4"]) await a.addTrack(id, track);
    await eventuallyLists("b has it", [b], ([list]) => list![0]?.entries.length === 4);
    await a.switchTo("local");
    await b.switchTo("local");
    const [e1, , e3] = (await a.get(id))!.entries;
    await a.moveEntry(id, e1!.entryId, 3);
    await b.moveEntry(id, e1!.entryId, 1);
    await b.moveEntry(id, e3!.entryId, 0);
    await a.switchTo("hybrid");
    await b.switchTo("hybrid");
    const [list] = await eventuallyLists(
      "same order",
      [a, b],
      (lists) => same(lists) && a.status.pendingCount === 0 && b.status.pendingCount === 0,
    );
    expect([...tracksOf(list!)!].sort()).toEqual(["t1", "t2", "t3", "t4"]);
  });

  it("an edit made while the server is down arrives after it restarts", async () => {
    const { a, b } = await twoDevices();
    const { port } = server;
    await server.kill("SIGKILL");
    const { id } = await a.create("Offline mix");
    await a.addTrack(id, "Exile");
    await eventually("a notices", () => a.status.state !== "synced");
    await a.syncNow(); // does not throw while the server is down
    expect(a.status.pendingCount).toBe(4);
    expect(await b.list()).toEqual([]);

    server = await environment.start({ PORT: String(port) });
    const [list] = await eventuallyLists(
      "b has the offline edit",
      [b],
      ([l]) => l![0]?.entries.length === 1,
      15_000,
    );
    expect(tracksOf(list!)).toEqual(["Exile"]);
    await eventually("a's queue drained", () => a.status.pendingCount === 0, 10_000);
  });

  it("whatever both devices do, their own tables converge (property)", async () => {
    const step = fc.record({
      device: fc.constantFrom(0, 1),
      action: fc.constantFrom("create", "rename", "add", "remove", "move", "delete"),
      target: fc.nat(),
      text: fc.constantFrom("x", "y", "z"),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const { a, b } = await twoDevices();
        const devices = [a, b];
        for (const { device, action, target, text } of steps) {
          const host = devices[device]!;
          const list = await host.list();
          const playlist = list[target % Math.max(list.length, 1)];
          const entry = playlist?.entries[target % Math.max(playlist.entries.length, 1)];
          if (action === "create" || playlist === undefined) await host.create(text);
          else if (action === "rename") await host.rename(playlist.id, text);
          else if (action === "add") await host.addTrack(playlist.id, text, target % 3);
          else if (action === "remove" && entry) await host.removeEntry(playlist.id, entry.entryId);
          else if (action === "move" && entry)
            await host.moveEntry(playlist.id, entry.entryId, target % 3);
          else if (action === "delete") await host.remove(playlist.id);
        }
        await eventuallyLists(
          "both drained and equal",
          devices,
          (lists) => a.status.pendingCount === 0 && b.status.pendingCount === 0 && same(lists),
        );
      }),
      { numRuns: 5 },
    );
  });
});

describe("switching modes against a real server", () => {
  it("Local → Hybrid uploads what was made in Local mode once, even when the switch is interrupted and repeated", async () => {
    const { a, b, token } = await twoDevices();
    await a.switchTo("local");
    const { id } = await a.create("Made offline");
    await a.addTrack(id, "one");
    await a.addTrack(id, "two");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await b.list()).toEqual([]); // nothing left the machine
    const ops = a.status.pendingCount;
    expect(ops).toBe(7);

    await a.switchTo("hybrid");
    await a.switchTo("local"); // interrupted: back to Local, maybe before the upload finished
    await a.switchTo("hybrid");
    await eventually("a drained", () => a.status.pendingCount === 0, 10_000);
    const c = await open(token); // a third device, fresh
    const lists = await eventuallyLists(
      "all three equal",
      [a, b, c],
      (l) => same(l) && l[0]![0]?.entries.length === 2,
    );
    expect(tracksOf(lists[0]!)).toEqual(["one", "two"]);

    // the server holds each of a's ops once
    const pulled = await createHttpTransport({ url: server.url }).pull(
      { since: 0, limit: 1000, resync: false },
      { token, deviceId: randomUUID() },
    );
    if (!pulled.ok) throw new Error(pulled.failure.message);
    const fromA = pulled.value.ops.filter((op) => op.device_id === a.deviceId);
    expect(fromA).toHaveLength(ops);
    expect(new Set(fromA.map((op) => op.operation_id)).size).toBe(ops);
  });

  it("Server-connected edits reach the server at once; offline, an edit is refused and nothing is applied", async () => {
    const { a, b } = await twoDevices();
    const progress: number[] = [];
    await a.switchTo("local");
    await a.create("Queued before");
    const report = await a.switchTo("server", {
      onProgress: ({ pending }) => progress.push(pending),
    });
    expect(report.mode).toBe("server");
    expect(progress[0]).toBe(1);
    expect(progress.at(-1)).toBe(0);
    const made = await a.create("Live");
    expect((await a.list()).map((p) => p.name)).toEqual(["Live", "Queued before"]);
    await eventuallyLists("b sees it", [b], ([list]) => list!.length === 2);

    const { port } = server;
    await server.kill("SIGKILL");
    await expect(a.rename(made.id, "Never")).rejects.toMatchObject({
      name: "PlaylistEditError",
      type: "offline",
    });
    expect(a.status.pendingCount).toBe(0);
    server = await environment.start({ PORT: String(port) });

    // Server-connected → Hybrid: the local copy catches up before it is shown
    await b.rename(made.id, "Renamed on b");
    await eventuallyLists("b renamed", [b], ([list]) =>
      list!.some((p) => p.name === "Renamed on b"),
    );
    await a.switchTo("hybrid");
    expect((await a.list()).map((p) => p.name).sort()).toEqual(["Queued before", "Renamed on b"]);
  });
});
