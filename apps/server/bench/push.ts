/**
 * Push throughput: batches of 500 over HTTP with every check, beside the same
 * rows as multi-row INSERTs into the same table on the same cluster.
 */
import { randomUUID } from "node:crypto";
import { OPS_PATH, type Op } from "@syncline/protocol";
import { rawInsertOps } from "@syncline/testkit";
import type pg from "pg";
import type { BenchServer } from "./bench-server.js";
import { interleave, ratioRow, SCALE, upserts } from "./measure.js";

const BATCH = 500;

/** Pushes `ops` over HTTP in batches of {@link BATCH}, one request at a time, as our client does. */
async function pushOverHttp(server: BenchServer, token: string, ops: readonly Op[]): Promise<void> {
  for (let start = 0; start < ops.length; start += BATCH) {
    const response = await fetch(`${server.url}${OPS_PATH}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      // As our client asks (R76): the answer carries ids and clocks, not the ops back.
      body: JSON.stringify({ ops: ops.slice(start, start + BATCH), answer: "receipt" }),
    });
    if (response.status !== 200) throw new Error(`push failed: ${response.status}`);
    await response.arrayBuffer();
  }
}

/** The raw baseline: {@link rawInsertOps} into `sync_op`, batch by batch. */
export async function insertRaw(
  pool: pg.Pool,
  userId: string,
  deviceId: string,
  ops: readonly Op[],
): Promise<void> {
  for (let start = 0; start < ops.length; start += BATCH) {
    await rawInsertOps(pool, "sync_op", userId, deviceId, ops.slice(start, start + BATCH));
  }
}

/** One device, then 4 users × 4 devices at once. */
export async function benchPush(server: BenchServer): Promise<void> {
  const total = Math.round(50_000 * SCALE);
  console.log(`push: ${total} ops per round in batches of ${BATCH}`);

  const single = await interleave(
    async () => {
      const ops = upserts(total);
      const token = await server.token();
      const started = performance.now();
      await pushOverHttp(server, token, ops);
      return total / ((performance.now() - started) / 1000);
    },
    async () => {
      const ops = upserts(total);
      const started = performance.now();
      await insertRaw(server.pool, randomUUID(), randomUUID(), ops);
      return total / ((performance.now() - started) / 1000);
    },
    { warmUp: true },
  );
  ratioRow(`push, 1 device, batches of ${BATCH} (ops/s)`, "multi-row INSERT", single);

  const perDevice = Math.round(total / 16);
  const many = await interleave(
    async () => {
      const devices = await Promise.all(
        Array.from({ length: 4 }, () => randomUUID()).flatMap((userId) =>
          Array.from({ length: 4 }, () => server.token(userId)),
        ),
      );
      const work = devices.map((token) => ({ token, ops: upserts(perDevice) }));
      const started = performance.now();
      await Promise.all(work.map(({ token, ops }) => pushOverHttp(server, token, ops)));
      return (perDevice * 16) / ((performance.now() - started) / 1000);
    },
    async () => {
      // One connection per user, its 4 devices' batches in turn.
      const users = Array.from({ length: 4 }, () =>
        Array.from({ length: 4 }, () => ({ deviceId: randomUUID(), ops: upserts(perDevice) })),
      );
      const started = performance.now();
      await Promise.all(
        users.map(async (devices) => {
          const userId = randomUUID();
          for (const { deviceId, ops } of devices)
            await insertRaw(server.pool, userId, deviceId, ops);
        }),
      );
      return (perDevice * 16) / ((performance.now() - started) / 1000);
    },
    { warmUp: true },
  );
  ratioRow("push, 4 users × 4 devices (ops/s)", "4 connections of INSERT", many);
}
