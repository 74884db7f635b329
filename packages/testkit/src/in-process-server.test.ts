import { randomUUID } from "node:crypto";
import type { SocketListener } from "@syncline/client";
import { CLOSE_CODE, OPS_PATH, type Op, type ServerFrame } from "@syncline/protocol";
import { describe, expect, it } from "vitest";
import { startInProcessServer } from "./in-process-server.js";
import { settle, until } from "./manual-scheduler.js";
import { TransportFaults } from "./transport-faults.js";

/** A socket listener that writes down what happens to it. */
function recorder() {
  const events: string[] = [];
  const frames: ServerFrame[] = [];
  const listener: SocketListener = {
    open: () => events.push("open"),
    frame: (frame) => frames.push(frame),
    close: (_reason, code) => events.push(`close ${code}`),
  };
  return { events, frames, listener };
}

function note(lamport: number, value: string): Op {
  return {
    operation_id: randomUUID(),
    lamport_ts: lamport,
    entity_type: "note",
    entity_id: "n1",
    op: "upsert",
    field: "title",
    value,
  };
}

describe("startInProcessServer", () => {
  it("refuses a handshake the routes answer with 401 as a browser sees it: close 1006, no socket on the server (R8, R29)", async () => {
    const server = startInProcessServer();
    const { events, listener } = recorder();
    server.transport().connect(0, { token: "not-a-jwt", deviceId: randomUUID() }, listener);
    await until(() => events.length > 0);
    expect(events).toEqual(["close 1006"]);
    expect(server.openSockets()).toBe(0);
  });

  it("carries frames as JSON both ways, and either side's close, with its code, to the other (R34, R35)", async () => {
    const server = startInProcessServer();
    const credentials = { token: server.token(), deviceId: randomUUID() };
    const first = recorder();
    const socket = server.transport().connect(0, credentials, first.listener);
    await until(() => first.events.includes("open") && server.openSockets() === 1);
    socket.send({ type: "ping" });
    await until(() => first.frames.length === 1);
    expect(first.frames).toEqual([{ type: "pong" }]);
    server.hub.closeAll(CLOSE_CODE.goingAway, "shutting down");
    await until(() => first.events.length === 2 && server.openSockets() === 0);
    expect(first.events).toEqual(["open", `close ${CLOSE_CODE.goingAway}`]);

    const second = recorder();
    const closing = server.transport().connect(0, credentials, second.listener);
    await until(() => server.openSockets() === 1);
    closing.close();
    await until(() => second.events.length === 2);
    // A close frame without a code reads 1005 on both sides; the routes' onClose ran.
    expect(second.events).toEqual(["open", "close 1005"]);
    expect(server.openSockets()).toBe(0);
  });

  it("accepts its tokens, refuses expired ones and, after a key rotation, every older one (R5, R8)", async () => {
    const server = startInProcessServer();
    const transport = server.transport();
    const pull = (token: string) =>
      transport.pull({ since: 0, limit: 10, resync: false }, { token, deviceId: randomUUID() });
    const older = server.token();
    expect((await pull(older)).ok).toBe(true);
    expect(await pull(server.token({ expiresInSeconds: -60 }))).toMatchObject({
      failure: { status: 401, message: "token expired" },
    });
    server.rotateSigningKey();
    expect((await pull(server.token())).ok).toBe(true);
    expect(await pull(older)).toMatchObject({ failure: { status: 401 } });
  });

  it("answers its missing paths 404 not_found, as an older server would, and serves the rest", async () => {
    const server = startInProcessServer({ missingPaths: [OPS_PATH] });
    const credentials = { token: server.token(), deviceId: randomUUID() };
    const transport = server.transport();
    expect(await transport.pull({ since: 0, limit: 1, resync: false }, credentials)).toEqual({
      ok: false,
      failure: {
        type: "http",
        status: 404,
        body: { type: "not_found", message: `no route for GET ${OPS_PATH}` },
        message: `no route for GET ${OPS_PATH}`,
      },
    });
    expect(await transport.push([note(1, "x")], credentials)).toMatchObject({
      failure: { status: 404 },
    });
    expect(await transport.ack(0, credentials)).toEqual({ ok: true, value: { last_seen_id: 0 } });
    expect(await server.log()).toEqual([]);
  });
});

describe("TransportFaults", () => {
  it("drops a push before the server, stores one whose answer it loses, and holds one until released", async () => {
    const server = startInProcessServer();
    const faults = new TransportFaults();
    const transport = faults.wrap(server.transport());
    const credentials = { token: server.token(), deviceId: randomUUID() };
    faults.nextPushes.push("dropped", "lost");
    expect(await transport.push([note(1, "dropped")], credentials)).toMatchObject({
      failure: { type: "network" },
    });
    expect(await transport.push([note(2, "lost")], credentials)).toMatchObject({
      failure: { type: "network" },
    });
    expect((await server.log()).map((op) => op.value)).toEqual(["lost"]);

    const release = faults.hold("push");
    const held = transport.push([note(3, "held")], credentials);
    await settle();
    expect((await server.log()).map((op) => op.value)).toEqual(["lost"]); // not there yet
    release();
    expect((await held).ok).toBe(true);
    expect((await server.log()).map((op) => op.value)).toEqual(["lost", "held"]);
  });
});
