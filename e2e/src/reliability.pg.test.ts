import { randomUUID } from "node:crypto";
import { connect } from "node:net";
import { join } from "node:path";
import { createHttpTransport, type Transport } from "@syncline/client";
import { LAMPORT_RECEIVE_CEILING, MAX_LAMPORT_TS, type Op } from "@syncline/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  clientDir,
  eventually,
  openClient,
  removeClientFiles,
  type TestClient,
  userToken,
} from "./testing/clients.js";
import { testDevice } from "./testing/device.js";
import { useServerEnvironment } from "./testing/server-environment.js";
import { runCli, type ServerProcess } from "./testing/server-process.js";

// Defects found by trying the server as an attacker or an unlucky user would,
// each replayed against a real server process and real SQLite clients.
const environment = useServerEnvironment({ SYNCLINE_ACK_FLUSH_MS: "100" });
let server: ServerProcess;
const clients: TestClient[] = [];

beforeAll(async () => {
  server = await environment.start();
});
afterAll(async () => {
  for (const client of clients) await client.close().catch(() => {});
  await removeClientFiles();
});

async function open(path: string, token: string, transport?: Transport) {
  const opened = openClient(path, server.url, token, transport ? { transport } : {});
  clients.push(opened);
  await eventually("synced", () => opened.client.status.state === "synced");
  return opened;
}

async function rawPush(token: string, deviceId: string, ops: unknown[] | string) {
  const response = await fetch(`${server.url}/sync/ops`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "x-device-id": deviceId,
      "content-type": "application/json",
    },
    body: typeof ops === "string" ? ops : JSON.stringify({ ops }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect response bodies loosely
  return { status: response.status, body: (await response.json()) as any };
}

async function cursorOf(userId: string, deviceId: string): Promise<number> {
  const { rows } = await environment.pool.query(
    "SELECT last_seen_id FROM device_sync_cursor WHERE user_id = $1 AND device_id = $2",
    [userId, deviceId],
  );
  return Number(rows[0]?.last_seen_id ?? 0);
}

describe("R68: a retry never turns a stored op into a new, later op", () => {
  it("lost push response, a newer edit, an ACK past both, compaction, then the retry: every device keeps the newer edit", async () => {
    const userId = randomUUID();
    const token = await userToken(environment.env, userId);
    const dir = await clientDir();
    // D's first push reaches the server and is stored, but its answer is lost;
    // its retries wait until the test lets them go.
    const real = createHttpTransport({ url: server.url });
    let answersLost = 0;
    let releaseRetries!: () => void;
    const retriesReleased = new Promise<void>((resolve) => (releaseRetries = resolve));
    const lossy: Transport = {
      ...real,
      async push(ops, credentials) {
        if (answersLost === 0) {
          answersLost++;
          await real.push(ops, credentials);
          return { ok: false, failure: { type: "network", message: "answer lost" } };
        }
        await retriesReleased;
        return real.push(ops, credentials);
      },
    };
    const d = await open(join(dir, "d.db"), token, lossy);
    const e = await open(join(dir, "e.db"), token);

    const x = d.client.mutate((tx) => tx.upsert("playlist", "p1", "title", "older, from D"));
    await eventually("X stored", () => answersLost === 1);
    await e.client.mutate((tx) => tx.upsert("playlist", "p1", "title", "newer, from E")).confirmed;
    const [z] = await e.client.mutate((tx) => tx.upsert("playlist", "p2", "title", "z")).confirmed;
    // D's socket delivers Y and Z, and D ACKs past them (and past its own X).
    await eventually("D has Y", () => d.client.read("playlist", "p2")?.title === "z");
    for (let i = 0; i < 200; i++) {
      const cursors = await Promise.all([
        cursorOf(userId, d.client.deviceId),
        cursorOf(userId, e.client.deviceId),
      ]);
      if (cursors.every((cursor) => cursor >= z!.id)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await cursorOf(userId, d.client.deviceId)).toBeGreaterThanOrEqual(z!.id);
    const compacted = await runCli(["compact"], environment.env);
    expect(compacted.code).toBe(0);
    const report = JSON.parse(compacted.stdout).report as {
      users: Array<{ userId: string; deleted: number }>;
    };
    expect(report.users.find((user) => user.userId === userId)?.deleted).toBe(1);

    releaseRetries();
    const [confirmed] = await x.confirmed;
    const { rows } = await environment.pool.query(
      "SELECT id, operation_id FROM sync_op WHERE user_id = $1 ORDER BY id",
      [userId],
    );
    // X kept its first id, below Y's: it was answered as a duplicate, not stored again.
    expect(rows.map((row) => row.operation_id)).not.toContain(x.ops[0]!.operation_id);
    expect(confirmed!.id).toBeLessThan(Number(rows[0]!.id));
    await eventually("D settles", () => d.client.status.pendingCount === 0);
    expect(d.client.read("playlist", "p1")).toEqual({ title: "newer, from E" });
    expect(e.client.read("playlist", "p1")).toEqual({ title: "newer, from E" });
    const fresh = await open(join(dir, "fresh.db"), token);
    expect(fresh.client.list("playlist")).toEqual(e.client.list("playlist"));
  });
});

describe("R43: one device cannot brick its user's other devices through lamport_ts", () => {
  it("refuses lamport_ts above 2^52 with 422; a peer that merges 2^52 keeps receiving and editing", async () => {
    const userId = randomUUID();
    const token = await userToken(environment.env, userId);
    const attacker = await testDevice(environment.env, userId);
    const tooHigh = { ...attacker.op("p1", "title", "x"), lamport_ts: 2 ** 53 - 2 };
    const refused = await rawPush(attacker.token, attacker.deviceId, [tooHigh]);
    expect(refused.status).toBe(422);
    expect(refused.body.issues[0].path).toEqual(["ops", 0, "lamport_ts"]);

    const dir = await clientDir();
    const peer = await open(join(dir, "peer.db"), token);
    const atLimit: Op = {
      ...attacker.op("p1", "title", "from the top"),
      lamport_ts: MAX_LAMPORT_TS,
    };
    expect((await rawPush(attacker.token, attacker.deviceId, [atLimit])).status).toBe(200);
    await eventually(
      "peer applies it",
      () => peer.client.read("playlist", "p1")?.title === "from the top",
    );
    const [mine] = await peer.client.mutate((tx) => tx.upsert("playlist", "p1", "title", "mine"))
      .confirmed;
    expect(mine!.lamport_ts).toBeLessThanOrEqual(LAMPORT_RECEIVE_CEILING + 2);
    // Restarting does not change that: the device opens, receives and edits.
    await peer.close();
    const again = await open(peer.path, token);
    await again.client.mutate((tx) => tx.upsert("playlist", "p2", "title", "after restart"))
      .confirmed;
    const honest = await testDevice(environment.env, userId);
    await honest.push(server.url, [honest.op("p3", "title", "honest")]);
    await eventually(
      "honest edit arrives",
      () => again.client.read("playlist", "p3")?.title === "honest",
    );
    expect(again.client.status.lastError).toBeNull();
  });
});

describe("R2, R11: malformed values get 422 naming the op, never a 500", () => {
  it("refuses lone surrogates in values, keys and names, and values nested past the bound", async () => {
    const device = await testDevice(environment.env);
    const cut = "🎵".slice(0, 1);
    // Deeper than JSON.stringify itself can go: the body is written as text.
    const deep = `${"[".repeat(5000)}1${"]".repeat(5000)}`;
    const cases: Array<[string, (op: Op) => unknown]> = [
      ["value", (op) => ({ ...op, value: `song ${cut}` })],
      ["value", (op) => ({ ...op, value: { [`k${cut}`]: 1 } })],
      ["entity_id", (op) => ({ ...op, entity_id: `p${cut}` })],
      ["field", (op) => ({ ...op, field: `f${cut}` })],
      ["value", (op) => ({ ...op, value: "DEEP" })],
    ];
    for (const [path, breakOp] of cases) {
      const good = device.op("p1", "title", "fine");
      const bad = breakOp(device.op("p2", "title", "x"));
      const body = JSON.stringify({ ops: [good, bad] }).replace('"DEEP"', deep);
      const answer = await rawPush(device.token, device.deviceId, body);
      expect(answer.status).toBe(422);
      expect(answer.body.type).toBe("invalid_request");
      expect(
        answer.body.issues.map((issue: { path: unknown[] }) => issue.path.slice(0, 3)),
      ).toEqual([["ops", 1, path]]);
    }
    // Nothing of the refused batches was stored.
    expect((await device.pullOk(server.url)).ops).toEqual([]);
  });
});

describe("R67: idle keep-alive connections", () => {
  it("keeps an idle connection open past Node's 5 s default, so a reused connection is not reset", async () => {
    const socket = connect(server.port, "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", resolve));
    let received = "";
    let closed = false;
    socket.on("data", (chunk) => (received += chunk));
    socket.on("close", () => (closed = true));
    const get = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n";
    socket.write(get);
    await eventually("first answer", () => received.includes("\r\n\r\n"));
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect(closed).toBe(false);
    received = "";
    socket.write(get);
    await eventually("second answer on the same connection", () =>
      received.startsWith("HTTP/1.1 200"),
    );
    socket.destroy();
  });
});
