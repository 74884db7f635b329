import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPlaylists, type Playlists } from "@syncline/desktop-client";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, userToken } from "./testing/clients.js";
import { useServerEnvironment } from "./testing/server-environment.js";
import type { ServerProcess } from "./testing/server-process.js";

// Two app instances (two devices of one user, two SQLite files) against a real server process.
const environment = useServerEnvironment({ SYNCLINE_ACK_FLUSH_MS: "100" });
let server: ServerProcess;
let dir: string;
const opened: Playlists[] = [];

beforeAll(async () => {
  server = await environment.start();
  dir = await mkdtemp(join(tmpdir(), "syncline-playlists-"));
});
afterAll(async () => {
  for (const playlists of opened) await playlists.close().catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

/** Opens one device of the user whose token is `token`, with short backoff so restarts are noticed quickly. */
function open(token: string): Playlists {
  const playlists = openPlaylists({
    file: join(dir, `${randomUUID()}.db`),
    url: server.url,
    token,
    backoff: { baseMs: 50, maxMs: 500 },
  });
  opened.push(playlists);
  return playlists;
}

async function twoDevices() {
  const token = await userToken(environment.env, randomUUID());
  const a = open(token);
  const b = open(token);
  await eventually("both synced", () => a.status.state === "synced" && b.status.state === "synced");
  return { a, b };
}

const sameList = (a: Playlists, b: Playlists) =>
  JSON.stringify(a.list()) === JSON.stringify(b.list());

describe("two app instances", () => {
  it("an edit on one shows in the other's own playlist table, both ways", async () => {
    const { a, b } = await twoDevices();
    const { id } = a.create("Road trip");
    a.addTrack(id, "Born to Run");
    a.addTrack(id, "Thunder Road");
    await eventually("b has the playlist", () => b.list()[0]?.tracks.length === 2, 10_000);
    expect(b.list()).toEqual([{ id, name: "Road trip", tracks: ["Born to Run", "Thunder Road"] }]);

    b.rename(id, "Summer");
    b.removeTrack(id, "Born to Run");
    await eventually("a has b's edits", () => a.list()[0]?.name === "Summer", 10_000);
    await eventually("same lists", () => sameList(a, b), 10_000);
    expect(a.list()).toEqual([{ id, name: "Summer", tracks: ["Thunder Road"] }]);
  });

  it("a delete propagates", async () => {
    const { a, b } = await twoDevices();
    const kept = a.create("Kept");
    const gone = a.create("Gone");
    await eventually("b has both", () => b.list().length === 2, 10_000);
    b.remove(gone.id);
    expect(b.list().map((playlist) => playlist.id)).toEqual([kept.id]);
    await eventually("a lost it", () => a.list().length === 1, 10_000);
    expect(a.list()).toEqual([{ id: kept.id, name: "Kept", tracks: [] }]);
    expect(() => a.rename(gone.id, "Back")).toThrow(
      expect.objectContaining({ type: "playlist_not_found" }),
    );
  });

  it("an edit made while the server is down arrives after it restarts", async () => {
    const { a, b } = await twoDevices();
    const { port } = server;
    await server.kill("SIGKILL");
    const { id } = a.create("Offline mix");
    a.addTrack(id, "Exile");
    await eventually("a notices", () => a.status.state !== "synced");
    await a.syncNow(); // does not throw while the server is down
    expect(a.status.pendingCount).toBe(3);
    expect(a.list()).toEqual([{ id, name: "Offline mix", tracks: ["Exile"] }]);
    expect(b.list()).toEqual([]);

    server = await environment.start({ PORT: String(port) });
    await eventually("b has the offline edit", () => b.list().length === 1, 15_000);
    expect(b.list()).toEqual([{ id, name: "Offline mix", tracks: ["Exile"] }]);
    await eventually("a's queue drained", () => a.status.pendingCount === 0, 10_000);
  });

  it("whatever both devices do, their own tables converge (property)", async () => {
    const step = fc.record({
      device: fc.constantFrom(0, 1),
      action: fc.constantFrom("create", "rename", "add", "remove-track", "delete"),
      target: fc.nat(),
      text: fc.constantFrom("x", "y", "z"),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const devices = Object.values(await twoDevices());
        for (const { device, action, target, text } of steps) {
          const playlists = devices[device]!;
          const ids = playlists.list().map((playlist) => playlist.id);
          const id = ids[target % Math.max(ids.length, 1)];
          if (action === "create" || id === undefined) playlists.create(text);
          else if (action === "rename") playlists.rename(id, text);
          else if (action === "add") playlists.addTrack(id, text);
          else if (action === "remove-track") playlists.removeTrack(id, text);
          else playlists.remove(id);
        }
        const [a, b] = devices as [Playlists, Playlists];
        await eventually(
          "both drained and equal",
          () => a.status.pendingCount === 0 && b.status.pendingCount === 0 && sameList(a, b),
          10_000,
        );
      }),
      { numRuns: 5 },
    );
  });
});
