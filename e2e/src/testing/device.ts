import { randomUUID } from "node:crypto";
import {
  type JsonValue,
  type Op,
  PullResponseSchema,
  PushResponseSchema,
  type ServerFrame,
  ServerFrameSchema,
  type UpsertOp,
} from "@syncline/protocol";
import { upsert } from "@syncline/server-core/conformance";
import WebSocket from "ws";
import { runCli } from "./server-process.js";

/** A device talking to a server over real HTTP and WebSocket, with a token from the CLI. */
export async function testDevice(
  env: Record<string, string>,
  userId = randomUUID(),
  deviceId = randomUUID(),
) {
  const minted = await runCli(
    ["token", "--user", userId, "--device", deviceId, "--ttl", "1h"],
    env,
  );
  if (minted.code !== 0) throw new Error(`token failed: ${minted.stderr}`);
  const token = minted.stdout.trim();
  let lamport = 0;
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  return {
    userId,
    deviceId,
    token,
    op(entity_id: string, field: string, value: unknown): UpsertOp {
      return upsert(++lamport, entity_id, field, value as JsonValue);
    },
    async push(base: string, ops: Op[]) {
      const response = await fetch(`${base}/sync/ops`, {
        method: "POST",
        headers,
        body: JSON.stringify({ ops }),
      });
      if (response.status !== 200)
        throw new Error(`push ${response.status}: ${await response.text()}`);
      return PushResponseSchema.parse(await response.json()).ops;
    },
    async pull(base: string, since = 0) {
      const response = await fetch(`${base}/sync/ops?since=${since}`, { headers });
      return { status: response.status, body: (await response.json()) as unknown };
    },
    async pullOk(base: string, since = 0) {
      const { status, body } = await this.pull(base, since);
      if (status !== 200) throw new Error(`pull ${status}: ${JSON.stringify(body)}`);
      return PullResponseSchema.parse(body);
    },
    async ack(base: string, lastSeenId: number) {
      const response = await fetch(`${base}/sync/ack`, {
        method: "POST",
        headers,
        body: JSON.stringify({ last_seen_id: lastSeenId }),
      });
      if (response.status !== 200)
        throw new Error(`ack ${response.status}: ${await response.text()}`);
    },
    socket(base: string, since?: number) {
      return openSocket(
        `${base.replace(/^http/, "ws")}/sync/ws?access_token=${token}${since === undefined ? "" : `&since=${since}`}`,
      );
    },
  };
}

/** A WebSocket that records the frames it receives. */
export async function openSocket(url: string) {
  const ws = new WebSocket(url);
  const frames: ServerFrame[] = [];
  const waiters = new Set<() => void>();
  ws.on("message", (data) => {
    frames.push(ServerFrameSchema.parse(JSON.parse(String(data))));
    for (const wake of waiters) wake();
  });
  const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return {
    ws,
    frames,
    closed,
    ids: () =>
      frames.flatMap((frame) => (frame.type === "ops" ? frame.ops.map((op) => op.id) : [])),
    waitFor(predicate: () => boolean, timeoutMs = 5000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!predicate()) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; frames: ${JSON.stringify(frames).slice(0, 400)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}
