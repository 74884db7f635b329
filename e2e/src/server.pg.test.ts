import { describe, expect, it } from "vitest";
import { testDevice } from "./testing/device.js";
import { useServerEnvironment } from "./testing/server-environment.js";
import { runCli } from "./testing/server-process.js";

const environment = useServerEnvironment();
const start = environment.start;

async function storedCursor(userId: string, deviceId: string): Promise<number> {
  const { rows } = await environment.pool.query(
    "SELECT last_seen_id FROM device_sync_cursor WHERE user_id = $1 AND device_id = $2",
    [userId, deviceId],
  );
  return Number(rows[0]?.last_seen_id ?? 0);
}

async function watermark(userId: string): Promise<number> {
  const { rows } = await environment.pool.query(
    "SELECT compacted_up_to FROM sync_compaction_watermark WHERE user_id = $1",
    [userId],
  );
  return Number(rows[0]?.compacted_up_to ?? 0);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("serve", () => {
  it("answers /healthz, /metrics and /.well-known/jwks.json, and accepts CLI tokens", async () => {
    const server = await start();
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as {
      keys: unknown[];
    };
    expect(jwks.keys).toHaveLength(1);
    expect(JSON.stringify(jwks)).not.toContain('"d"'); // public half only

    const device = await testDevice(environment.env);
    await device.push(server.url, [device.op("p1", "title", "x")]);
    const bad = await fetch(`${server.url}/sync/ops`, {
      headers: { authorization: "Bearer nope" },
    });
    expect(bad.status).toBe(401);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/syncline_push_requests_total 1\b/);
    expect(metrics).toMatch(/syncline_pushed_ops_total\{outcome="inserted"\} 1\b/);
    expect(metrics).toMatch(/syncline_errors_total\{type="unauthorized"\} 1\b/);
    expect(await server.kill()).toEqual({ code: 0, signal: null });
  });

  it("writes ACKs to Postgres within the flush interval", async () => {
    const server = await start({ SYNCLINE_ACK_FLUSH_MS: "200" });
    const device = await testDevice(environment.env);
    const [op] = await device.push(server.url, [device.op("p1", "title", "x")]);
    await device.ack(server.url, op!.id);
    for (let i = 0; i < 100 && (await storedCursor(device.userId, device.deviceId)) === 0; i++)
      await sleep(25);
    expect(await storedCursor(device.userId, device.deviceId)).toBe(op!.id);
    await server.kill();
  });

  it("writes buffered ACKs on graceful shutdown", async () => {
    const server = await start({ SYNCLINE_ACK_FLUSH_MS: "600000" });
    const device = await testDevice(environment.env);
    const [op] = await device.push(server.url, [device.op("p1", "title", "x")]);
    await device.ack(server.url, op!.id);
    expect(await storedCursor(device.userId, device.deviceId)).toBe(0);
    expect(await server.kill("SIGTERM")).toEqual({ code: 0, signal: null });
    expect(await storedCursor(device.userId, device.deviceId)).toBe(op!.id);
  });
});

describe("compaction from the CLI while servers run", () => {
  it("counts ACKs that a running server has not flushed yet", async () => {
    const server = await start({ SYNCLINE_ACK_FLUSH_MS: "600000" });
    const device = await testDevice(environment.env);
    const ops = await device.push(server.url, [device.op("p1", "t", 1), device.op("p1", "t", 2)]);
    const head = ops[1]!.id;
    await device.ack(server.url, head);
    expect(await storedCursor(device.userId, device.deviceId)).toBe(0);
    const { code, stdout } = await runCli(["compact"], environment.env);
    expect(code).toBe(0);
    const outcome = JSON.parse(stdout);
    expect(outcome.flush).toEqual({ answered: 1, listening: 1 });
    expect(await watermark(device.userId)).toBe(head);
    await server.kill();
  });

  it("resurrected device: a silent device is left behind, gets 410, and recovers from since=0", async () => {
    const server = await start({ SYNCLINE_ACK_FLUSH_MS: "100" });
    const silent = await testDevice(environment.env);
    const active = await testDevice(environment.env, silent.userId);
    const first = await active.push(server.url, [
      active.op("p1", "title", "v1"),
      active.op("p1", "color", "red"),
    ]);
    await silent.ack(server.url, first[0]!.id);
    const later = await active.push(server.url, [
      active.op("p1", "title", "v2"),
      active.op("p1", "title", "v3"),
    ]);
    // The active device keeps acking while the silent one's last ACK ages past --stale-after.
    const keepAcking = setInterval(() => void active.ack(server.url, later[1]!.id), 150);
    await sleep(2500);
    const { code, stdout } = await runCli(["compact", "--stale-after", "2s"], environment.env);
    clearInterval(keepAcking);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).report.users[0]).toMatchObject({
      userId: silent.userId,
      compactedUpTo: later[1]!.id,
    });

    // REST: the silent device's cursor lies in the compacted range.
    const gone = await silent.pull(server.url, first[0]!.id);
    expect(gone.status).toBe(410);
    expect(gone.body).toMatchObject({ type: "resync_required", compacted_up_to: later[1]!.id });
    const full = await silent.pullOk(server.url, 0);
    const state = Object.fromEntries(full.ops.map((op) => [op.field, op.value]));
    expect(state).toEqual({ title: "v3", color: "red" });

    // WebSocket since: resync_required frame, close 4410.
    const socket = await silent.socket(server.url, first[0]!.id);
    expect(await socket.closed).toBe(4410);
    expect(socket.frames).toEqual([{ type: "resync_required", compacted_up_to: later[1]!.id }]);
    const fresh = await silent.socket(server.url, 0);
    await fresh.waitFor(() => fresh.ids().length === full.ops.length);
    expect(fresh.ids()).toEqual(full.ops.map((op) => op.id));
    fresh.ws.close();
    await server.kill();
  });

  it("compacts with --now far ahead when only the other devices' ACKs are fresh relative to it", async () => {
    const server = await start({ SYNCLINE_ACK_FLUSH_MS: "100" });
    const silent = await testDevice(environment.env);
    const active = await testDevice(environment.env, silent.userId);
    const ops = await active.push(server.url, [active.op("e", "f", 1), active.op("e", "f", 2)]);
    await silent.ack(server.url, ops[0]!.id);
    await active.ack(server.url, ops[1]!.id);
    await sleep(300);
    // Move the active device's ACK 91 days ahead in the table's own clock.
    await environment.pool.query(
      "UPDATE device_sync_cursor SET last_seen_at = last_seen_at + interval '91 days' WHERE user_id = $1 AND device_id = $2",
      [active.userId, active.deviceId],
    );
    const now = new Date(Date.now() + 91 * 86_400_000).toISOString();
    const { code } = await runCli(["compact", "--now", now], environment.env);
    expect(code).toBe(0);
    expect(await watermark(silent.userId)).toBe(ops[1]!.id);
    expect((await silent.pull(server.url, ops[0]!.id)).status).toBe(410);
    await server.kill();
  });
});
