import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { findFreePort } from "@syncline/embedded-pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  clientDir,
  eventually,
  openClient,
  removeClientFiles,
  type TestClient,
  userToken,
} from "./testing/clients.js";
import { useServerEnvironment } from "./testing/server-environment.js";
import { runCli, type ServerProcess } from "./testing/server-process.js";

// Issue acceptance, end to end: real server processes, real SQLite clients.
const environment = useServerEnvironment({ SYNCLINE_ACK_FLUSH_MS: "100" });
let port: number;
let server: ServerProcess | undefined;
const clients: TestClient[] = [];
/** Restarts keep the port, so the clients' URL stays valid. */
const startServer = () => environment.start({ PORT: String(port) });

beforeAll(async () => {
  port = await findFreePort();
  server = await startServer();
});
afterAll(async () => {
  for (const client of clients) await client.close().catch(() => {});
  await removeClientFiles();
});

const url = () => `http://127.0.0.1:${port}`;

async function open(path: string, token: string) {
  const opened = openClient(path, url(), token);
  clients.push(opened);
  return opened;
}

async function storedOpIds(userId: string): Promise<string[]> {
  const { rows } = await environment.pool.query(
    "SELECT operation_id FROM sync_op WHERE user_id = $1 ORDER BY id",
    [userId],
  );
  return rows.map((row) => row.operation_id as string);
}

/** Two devices of the token's user on fresh SQLite files, both synced. */
async function syncedPair(token: string): Promise<[TestClient, TestClient]> {
  const dir = await clientDir();
  const a = await open(join(dir, "a.db"), token);
  const b = await open(join(dir, "b.db"), token);
  await eventually(
    "both synced",
    () => a.client.status.state === "synced" && b.client.status.state === "synced",
  );
  return [a, b];
}

describe("client ↔ server", () => {
  it("R32: shows an edit on the user's other device within about a second (seed acceptance; the real latency is in pnpm bench)", async () => {
    const token = await userToken(environment.env, randomUUID());
    const [a, b] = await syncedPair(token);
    a.client.mutate((tx) => tx.upsert("playlist", "p1", "title", "Road trip"));
    // A generous functional bound for "about a second" on a shared machine.
    await eventually(
      "the edit on b",
      () => b.client.read("playlist", "p1")?.title === "Road trip",
      2000,
    );
  });

  it("offline then online: edits made while the server is down arrive at the other device", async () => {
    const userId = randomUUID();
    const token = await userToken(environment.env, userId);
    const [a, b] = await syncedPair(token);

    await server!.kill("SIGTERM");
    const handles = ["one", "two", "three"].map((title, i) =>
      a.client.mutate((tx) => tx.upsert("playlist", `p${i}`, "title", title)),
    );
    await eventually("a notices it is offline", () => a.client.status.state !== "synced");
    expect(a.client.status.pendingCount).toBe(3);
    // The edits are durable: they survive reopening the device's file while offline.
    await a.close();
    const reopened = await open(a.path, token);
    expect(reopened.client.status.pendingCount).toBe(3);

    server = await startServer();
    await eventually("edits on b", () => b.client.read("playlist", "p2")?.title === "three");
    expect(b.client.list("playlist")).toEqual({
      p0: { title: "one" },
      p1: { title: "two" },
      p2: { title: "three" },
    });
    expect(await storedOpIds(userId)).toEqual(handles.map((handle) => handle.ops[0]!.operation_id));
  });

  it("a reset Lamport counter gets a 409 and recovers without losing or duplicating an op", async () => {
    const userId = randomUUID();
    const token = await userToken(environment.env, userId);
    const dir = await clientDir();
    const a = await open(join(dir, "a.db"), token);
    const b = await open(join(dir, "b.db"), token);
    for (let i = 0; i < 5; i++)
      await a.client.mutate((tx) => tx.upsert("track", "t1", "rating", i)).confirmed;
    await a.close();
    // The device lost its clock (e.g. restored from an old backup of its settings).
    const reset = new (await import("better-sqlite3")).default(a.path);
    reset.prepare("UPDATE syncline_setting SET value = 0 WHERE key = 'lamport'").run();
    reset.close();

    const again = await open(a.path, token);
    const late = again.client.mutate((tx) => tx.upsert("track", "t1", "rating", 99));
    const [stored] = await late.confirmed;
    expect(stored!.lamport_ts).toBeGreaterThan(5);
    const metrics = await (await fetch(`${url()}/metrics`)).text();
    expect(metrics).toMatch(/syncline_errors_total\{type="lamport_conflict"\} [1-9]/);
    const ids = await storedOpIds(userId);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
    expect(ids.at(-1)).toBe(late.ops[0]!.operation_id);
    await eventually("b converges", () => b.client.read("track", "t1")?.rating === 99);
  });

  it("a device compacted past gets 410, re-pulls, keeps its offline edit, and converges", async () => {
    const userId = randomUUID();
    const token = await userToken(environment.env, userId);
    const dir = await clientDir();
    const old = await open(join(dir, "old.db"), token);
    const active = await open(join(dir, "active.db"), token);
    await active.client.mutate((tx) => tx.upsert("playlist", "p1", "title", "v1")).confirmed;
    await eventually("old has v1", () => old.client.read("playlist", "p1")?.title === "v1");
    const oldDevice = old.client.deviceId;
    await old.close();
    // Offline edit on the old device, queued durably while it is away.
    const offline = openClient(old.path, "http://127.0.0.1:1", token);
    offline.client.mutate((tx) => tx.upsert("playlist", "p9", "title", "from the old device"));
    await offline.close();

    for (let i = 2; i <= 4; i++)
      await active.client.mutate((tx) => tx.upsert("playlist", "p1", "title", `v${i}`)).confirmed;
    await active.client.mutate((tx) => tx.delete("playlist", "p1")).confirmed;
    await active.client.mutate((tx) => tx.upsert("playlist", "p1", "color", "red")).confirmed;
    await eventually(
      "active's ACK reaches the table",
      () => active.client.status.state === "synced",
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    // The old device's last ACK is 100 days old: stale for the default 90-day window.
    await environment.pool.query(
      "UPDATE device_sync_cursor SET last_seen_at = now() - interval '100 days' WHERE user_id = $1 AND device_id = $2",
      [userId, oldDevice],
    );
    const compacted = await runCli(["compact"], environment.env);
    expect(compacted.code).toBe(0);
    const users = JSON.parse(compacted.stdout).report.users as Array<{ userId: string }>;
    expect(users.map((user) => user.userId)).toContain(userId);

    const back = await open(old.path, token);
    const converged = { p1: { color: "red" }, p9: { title: "from the old device" } };
    // Its push of p9 may be answered before its pull meets the 410, so "p9 is pushed"
    // does not yet mean "reset and re-pulled": wait for the whole state.
    await eventually(
      "old converges, its own edit pushed, the compacted log re-pulled",
      () =>
        back.client.status.pendingCount === 0 &&
        isDeepStrictEqual(back.client.list("playlist"), converged),
    );
    await eventually(
      "active sees the old device's edit",
      () => active.client.read("playlist", "p9")?.title === "from the old device",
    );
    expect(back.client.list("playlist")).toEqual(active.client.list("playlist"));
    expect(back.client.list("playlist")).toEqual(converged);
    const metrics = await (await fetch(`${url()}/metrics`)).text();
    expect(metrics).toMatch(/syncline_errors_total\{type="resync_required"\} [1-9]/);
  });
});
