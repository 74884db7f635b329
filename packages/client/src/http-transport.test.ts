import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ServerFrame, StoredOp } from "@syncline/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import { localOp } from "./conformance/index.js";
import { createHttpTransport } from "./http-transport.js";
import type { Transport } from "./transport.js";

const credentials = { token: "jwt.token.here", deviceId: "0192f5c1-3b7e-7a4c-9d2e-5f1a2b3c4d5e" };

const stored: StoredOp = {
  ...localOp(1),
  id: 7,
  device_id: credentials.deviceId,
  wall_clock: "2025-01-01T00:00:00.000Z",
};

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A real HTTP + WebSocket server on a free port that records requests and answers as told. */
let http: Server;
let wss: WebSocketServer;
let base: string;
let seen: Seen[];
let answer: { status: number; body: string };
/** Requests still to be answered by closing the connection without a response. */
let resets: number;
let sockets: { url: string; socket: WebSocket; received: string[] }[];

beforeEach(async () => {
  seen = [];
  sockets = [];
  answer = { status: 200, body: "{}" };
  resets = 0;
  http = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (resets > 0) {
        resets--;
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(answer.body);
    });
  });
  wss = new WebSocketServer({ server: http });
  wss.on("connection", (socket, req) => {
    const entry = { url: req.url!, socket, received: [] as string[] };
    sockets.push(entry);
    socket.on("message", (data) => entry.received.push(String(data)));
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}/api/`;
});

afterEach(async () => {
  for (const client of wss.clients) client.terminate();
  await new Promise((resolve) => wss.close(resolve));
  await new Promise((resolve) => http.close(resolve));
});

function transport(): Transport {
  return createHttpTransport({ url: base });
}

describe("createHttpTransport: HTTP", () => {
  it("R76: pushes { ops } asking for a receipt, with the bearer token, device id and protocol version, and expands the receipt", async () => {
    const receipt = { ids: [7], wall_clock: stored.wall_clock, duplicates: [] };
    answer = { status: 200, body: JSON.stringify(receipt) };
    const result = await transport().push([localOp(1)], credentials);
    expect(result).toEqual({ ok: true, value: { ops: [{ ...stored, duplicate: false }] } });
    expect(seen[0]).toMatchObject({ method: "POST", url: "/api/sync/ops" });
    expect(JSON.parse(seen[0]!.body)).toEqual({ ops: [localOp(1)], answer: "receipt" });
    expect(seen[0]!.headers).toMatchObject({
      authorization: "Bearer jwt.token.here",
      "x-device-id": credentials.deviceId,
      "syncline-protocol-version": "1",
      "content-type": "application/json",
    });
  });

  it("R76: takes the stored rows from a server that answers no receipt", async () => {
    answer = { status: 200, body: JSON.stringify({ ops: [{ ...stored, duplicate: true }] }) };
    const result = await transport().push([localOp(1)], credentials);
    expect(result).toEqual({ ok: true, value: { ops: [{ ...stored, duplicate: true }] } });
  });

  it("R76: flags a receipt that does not match the batch as a protocol failure", async () => {
    answer = {
      status: 200,
      body: JSON.stringify({ ids: [7, 8], wall_clock: stored.wall_clock, duplicates: [] }),
    };
    const result = await transport().push([localOp(1)], credentials);
    expect(result).toEqual({
      ok: false,
      failure: { type: "protocol", message: "push receipt does not match the batch" },
    });
  });

  it("pulls with since and limit, and acks with last_seen_id", async () => {
    answer = { status: 200, body: JSON.stringify({ ops: [stored], has_more: true }) };
    expect(await transport().pull({ since: 6, limit: 500, resync: false }, credentials)).toEqual({
      ok: true,
      value: { ops: [stored], has_more: true },
    });
    expect(seen[0]).toMatchObject({ method: "GET", url: "/api/sync/ops?since=6&limit=500" });
    await transport().pull({ since: 6, limit: 500, resync: true }, credentials);
    expect(seen[1]).toMatchObject({ url: "/api/sync/ops?since=6&limit=500&resync=true" });
    answer = { status: 200, body: JSON.stringify({ last_seen_id: 7 }) };
    expect(await transport().ack(7, credentials)).toEqual({ ok: true, value: { last_seen_id: 7 } });
    expect(seen[2]).toMatchObject({ method: "POST", url: "/api/sync/ack" });
    expect(JSON.parse(seen[2]!.body)).toEqual({ last_seen_id: 7 });
  });

  it("reads a snapshot page with limit, entity_type and cursor, validated by the protocol's schema", async () => {
    const page = {
      as_of: 9,
      entities: [
        { entity_type: "note", entity_id: "n1", fields: [{ field: "title", value: "A", id: 3 }] },
      ],
      next_cursor: "WzksIm5vdGUiXQ",
    };
    answer = { status: 200, body: JSON.stringify(page) };
    expect(await transport().snapshot({ limit: 250 }, credentials)).toEqual({
      ok: true,
      value: page,
    });
    expect(seen[0]).toMatchObject({ method: "GET", url: "/api/sync/snapshot?limit=250" });
    expect(seen[0]!.headers).toMatchObject({
      authorization: "Bearer jwt.token.here",
      "x-device-id": credentials.deviceId,
    });
    await transport().snapshot(
      { limit: 1, entityType: "play list/é", cursor: page.next_cursor },
      credentials,
    );
    const url = new URL(seen[1]!.url, "http://x");
    expect(url.pathname).toBe("/api/sync/snapshot");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      limit: "1",
      entity_type: "play list/é",
      cursor: page.next_cursor,
    });

    answer = { status: 200, body: JSON.stringify({ ...page, as_of: -1 }) };
    const broken = await transport().snapshot({ limit: 1 }, credentials);
    expect(broken).toMatchObject({ ok: false, failure: { type: "protocol" } });
  });

  it("reports a server without the snapshot route as its 404, with or without a body", async () => {
    const body = { type: "not_found", message: "no route for GET /sync/snapshot" };
    answer = { status: 404, body: JSON.stringify(body) };
    expect(await transport().snapshot({ limit: 1 }, credentials)).toEqual({
      ok: false,
      failure: { type: "http", status: 404, body, message: body.message },
    });
    answer = { status: 404, body: "" };
    expect(await transport().snapshot({ limit: 1 }, credentials)).toEqual({
      ok: false,
      failure: { type: "http", status: 404, body: null, message: "HTTP 404" },
    });
  });

  it("returns the server's error body as a value", async () => {
    const body = {
      type: "lamport_conflict",
      message: "lamport_ts 3 is not above 9",
      max_lamport_ts: 9,
      operation_id: localOp(1).operation_id,
    };
    answer = { status: 409, body: JSON.stringify(body) };
    expect(await transport().push([localOp(1)], credentials)).toEqual({
      ok: false,
      failure: { type: "http", status: 409, body, message: body.message },
    });
  });

  it("keeps a status without a Syncline body, and flags a 200 that breaks the schema", async () => {
    answer = { status: 502, body: "<html>bad gateway</html>" };
    expect(await transport().pull({ since: 0, limit: 1, resync: false }, credentials)).toEqual({
      ok: false,
      failure: { type: "http", status: 502, body: null, message: "HTTP 502" },
    });
    answer = { status: 200, body: JSON.stringify({ ops: "nope" }) };
    const result = await transport().pull({ since: 0, limit: 1, resync: false }, credentials);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.failure.type).toBe("protocol");
  });

  it("R67 (idle connections): sends a request once more when its connection is reset, and only once", async () => {
    answer = { status: 200, body: JSON.stringify({ ops: [{ ...stored, duplicate: false }] }) };
    resets = 1;
    const pushed = await transport().push([localOp(1)], credentials);
    expect(pushed).toEqual({ ok: true, value: { ops: [{ ...stored, duplicate: false }] } });
    expect(seen.map((request) => request.body)).toEqual([seen[0]!.body, seen[0]!.body]);

    seen = [];
    resets = 2;
    const pulled = await transport().pull({ since: 0, limit: 1, resync: false }, credentials);
    expect(pulled).toMatchObject({ ok: false, failure: { type: "network" } });
    expect(seen).toHaveLength(2);
  });

  it("reports an unreachable server as a network failure", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await createHttpTransport({ url: `http://127.0.0.1:${port}` }).ack(
      1,
      credentials,
    );
    expect(result).toMatchObject({ ok: false, failure: { type: "network" } });
  });
});

describe("createHttpTransport: WebSocket", () => {
  function open(since: number) {
    const events: (string | ServerFrame)[] = [];
    let resolveClosed!: (reason: string) => void;
    const closed = new Promise<string>((resolve) => {
      resolveClosed = resolve;
    });
    const codes: (number | undefined)[] = [];
    let resolveOpen!: () => void;
    const opened = new Promise<void>((resolve) => {
      resolveOpen = resolve;
    });
    const socket = transport().connect(since, credentials, {
      open: () => {
        events.push("open");
        resolveOpen();
      },
      frame: (frame) => events.push(frame),
      close: (reason, code) => {
        codes.push(code);
        resolveClosed(reason);
      },
    });
    return { socket, events, opened, closed, codes };
  }

  it("connects to /sync/ws with since, access_token and device_id, and exchanges frames", async () => {
    const { socket, events, opened, closed } = open(42);
    await opened;
    await expect.poll(() => sockets.length).toBe(1);
    const url = new URL(sockets[0]!.url, "http://x");
    expect(url.pathname).toBe("/api/sync/ws");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      since: "42",
      access_token: credentials.token,
      device_id: credentials.deviceId,
    });
    sockets[0]!.socket.send(JSON.stringify({ type: "ops", ops: [stored] }));
    sockets[0]!.socket.send(JSON.stringify({ type: "pong" }));
    await expect.poll(() => events.length).toBe(3);
    expect(events).toEqual(["open", { type: "ops", ops: [stored] }, { type: "pong" }]);
    socket.send({ ack: 7 });
    socket.send({ type: "ping" });
    await expect.poll(() => sockets[0]!.received).toEqual(['{"ack":7}', '{"type":"ping"}']);
    socket.close();
    expect(await closed).toMatch(/socket closed/);
  });

  it("passes the server's close code on", async () => {
    const { opened, closed, codes } = open(0);
    await opened;
    await expect.poll(() => sockets.length).toBe(1);
    sockets[0]!.socket.close(4410, "resync required");
    expect(await closed).toBe("socket closed (4410: resync required)");
    expect(codes).toEqual([4410]);
  });

  it("closes on a frame that breaks the schema, and reports a refused connection", async () => {
    const { events, opened, closed } = open(0);
    await opened;
    await expect.poll(() => sockets.length).toBe(1);
    sockets[0]!.socket.send(JSON.stringify({ type: "ops", ops: [{ id: "x" }] }));
    expect(await closed).toMatch(/invalid frame/);
    expect(events).toEqual(["open"]);

    const refused = createHttpTransport({ url: "http://127.0.0.1:1" });
    const reason = await new Promise<string>((resolve) => {
      refused.connect(0, credentials, { open: () => {}, frame: () => {}, close: resolve });
    });
    expect(reason).toMatch(/socket closed/);
  });
});
