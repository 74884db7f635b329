import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createNodeWebSocket } from "@hono/node-ws";
import { migratePgStore, PgSyncStore } from "@syncline/pg-store";
import {
  type JsonValue,
  MAX_CLIENT_FRAME_BYTES,
  type PushAnswer,
  type ServerFrame,
  ServerFrameSchema,
  type UpsertOp,
} from "@syncline/protocol";
import { AckBuffer, Hub, type HubOptions } from "@syncline/server-core";
import { upsert } from "@syncline/server-core/conformance";
import { createTestDatabase } from "@syncline/testkit";
import { Hono } from "hono";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import pg from "pg";
import WebSocket from "ws";
import { jwtAuth } from "../auth.js";
import { createSyncRoutes } from "../create-sync-routes.js";
import { syncNotFound } from "../errors.js";

/** Options of {@link startSyncTestServer}. */
export interface SyncTestServerOptions {
  maxBufferedBytes?: HubOptions["maxBufferedBytes"];
  flushIntervalMs?: number;
}

/** A socket that records every frame it receives. */
export interface TestSocket {
  readonly ws: WebSocket;
  readonly frames: ServerFrame[];
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Waits until `predicate` holds over the frames received so far. */
  waitFor(predicate: (frames: ServerFrame[]) => boolean, timeoutMs?: number): Promise<void>;
}

/** Signs a token with the test key. */
export type SignToken = (claims: {
  userId: string;
  deviceId?: string;
  /** `null`: no `exp` claim at all. */
  expiresIn?: string | number | null;
  sub?: unknown;
}) => Promise<string>;

/**
 * The sync routes on a real HTTP server (random port) over a real
 * PostgreSQL database of the calling `*.pg.test.ts` file, with a local
 * Ed25519 key for tokens.
 */
export async function startSyncTestServer(options: SyncTestServerOptions = {}) {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 10 });
  await migratePgStore(pool);
  const store = new PgSyncStore({ pool });
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const kid = "test-key";
  const auth = jwtAuth({
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: "EdDSA" }] },
  });
  const hub = new Hub({
    store,
    ...(options.maxBufferedBytes ? { maxBufferedBytes: options.maxBufferedBytes } : {}),
  });
  const acks = new AckBuffer({ store, flushIntervalMs: options.flushIntervalMs ?? 60_000 });
  acks.start();

  const app = new Hono();
  const { upgradeWebSocket, injectWebSocket, wss } = createNodeWebSocket({ app });
  // R34: ws refuses (1009) a client frame over the cap before buffering it.
  wss.options.maxPayload = MAX_CLIENT_FRAME_BYTES;
  app.notFound(syncNotFound);
  app.route("/", createSyncRoutes({ store, auth, upgradeWebSocket, hub, acks }));
  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  injectWebSocket(server);
  await new Promise((resolve) => server.once("listening", resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  const sockets = new Set<WebSocket>();

  const token: SignToken = async ({ userId, deviceId, expiresIn = "1h", sub }) => {
    const jwt = new SignJWT(deviceId ? { device_id: deviceId } : {})
      .setProtectedHeader({ alg: "EdDSA", kid })
      .setSubject((sub as string | undefined) ?? userId)
      .setIssuedAt();
    if (expiresIn !== null) jwt.setExpirationTime(expiresIn);
    return jwt.sign(privateKey);
  };

  /** A real HTTP request; JSON body in, status + parsed body out. */
  async function request(
    method: string,
    path: string,
    init: {
      token?: string;
      deviceId?: string;
      body?: unknown;
      rawBody?: string;
      headers?: Record<string, string>;
    } = {},
    // biome-ignore lint/suspicious/noExplicitAny: tests inspect response bodies loosely
  ): Promise<{ status: number; body: any; headers: Headers }> {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.deviceId) headers["x-device-id"] = init.deviceId;
    const body = init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: response.status, body: parsed, headers: response.headers };
  }

  /** A device: a user id, device id and token, with push/pull/ack helpers. */
  async function device(userId: string = randomUUID(), deviceId: string = randomUUID()) {
    const jwt = await token({ userId, deviceId });
    let lamport = 0;
    return {
      userId,
      deviceId,
      token: jwt,
      op(entity_id: string, field: string, value: unknown): UpsertOp {
        return upsert(++lamport, entity_id, field, value as JsonValue);
      },
      push: (ops: UpsertOp[], answer?: PushAnswer) =>
        request("POST", "/sync/ops", { token: jwt, body: { ops, ...(answer ? { answer } : {}) } }),
      pull: (query = "") => request("GET", `/sync/ops${query}`, { token: jwt }),
      snapshot: (query = "") => request("GET", `/sync/snapshot${query}`, { token: jwt }),
      ack: (last_seen_id: number) =>
        request("POST", "/sync/ack", { token: jwt, body: { last_seen_id } }),
      socket: (query = "") => openSocket(`/sync/ws?access_token=${jwt}${query}`),
    };
  }

  async function openSocket(
    pathAndQuery: string,
    headers: Record<string, string> = {},
  ): Promise<TestSocket> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${pathAndQuery}`, { headers });
    sockets.add(ws);
    const frames: ServerFrame[] = [];
    const waiters = new Set<() => void>();
    ws.on("message", (data) => {
      frames.push(ServerFrameSchema.parse(JSON.parse(String(data))));
      for (const wake of waiters) wake();
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      ws.on("close", (code, reason) => {
        sockets.delete(ws);
        resolve({ code, reason: String(reason) });
        for (const wake of waiters) wake();
      });
    });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) =>
        reject(new Error(`handshake refused: ${res.statusCode}`)),
      );
    });
    return {
      ws,
      frames,
      closed,
      waitFor(predicate, timeoutMs = 5000) {
        return new Promise<void>((resolve, reject) => {
          const check = () => {
            if (predicate(frames)) {
              waiters.delete(check);
              clearTimeout(timer);
              resolve();
            }
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            reject(new Error(`timed out; frames so far: ${JSON.stringify(frames).slice(0, 500)}`));
          }, timeoutMs);
          waiters.add(check);
          check();
        });
      },
    };
  }

  return {
    base,
    port,
    pool,
    store,
    hub,
    acks,
    token,
    request,
    device,
    openSocket,
    async close() {
      for (const ws of sockets) ws.terminate();
      await new Promise((resolve) => {
        server.close(resolve);
        if ("closeAllConnections" in server) server.closeAllConnections();
      });
      await acks.stop();
      await store.close();
      await pool.end();
    },
  };
}

/** Every op id carried by the `ops` frames received. */
export function frameIds(frames: ServerFrame[]): number[] {
  return frames.flatMap((frame) => (frame.type === "ops" ? frame.ops.map((op) => op.id) : []));
}
