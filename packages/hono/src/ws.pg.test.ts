import {
  CLOSE_CODE,
  ClientFrameSchema,
  MAX_CLIENT_FRAME_BYTES,
  PING_BURST,
  PushResponseSchema,
} from "@syncline/protocol";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { frameIds, startSyncTestServer } from "./testing/sync-test-server.js";

let server: Awaited<ReturnType<typeof startSyncTestServer>>;
beforeAll(async () => {
  server = await startSyncTestServer({ maxBufferedBytes: 256 * 1024 });
});
afterAll(() => server.close());

/** `text` as JSON, or `undefined` when it is not JSON. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("fan-out (R32)", () => {
  it("sends a push to the user's other devices in id order, with no echo and no leak to other users", async () => {
    const a = await server.device();
    const b = await server.device(a.userId);
    const stranger = await server.device();
    const [sa, sb, sc] = await Promise.all([a.socket(), b.socket(), stranger.socket()]);
    const pushed = PushResponseSchema.parse(
      (await a.push([a.op("p1", "title", "x"), a.op("p1", "color", "y")])).body,
    );
    const ids = pushed.ops.map((op) => op.id);
    await sb.waitFor((frames) => frameIds(frames).length === 2);
    expect(sb.frames).toHaveLength(1); // one push, one frame
    expect(frameIds(sb.frames)).toEqual(ids);
    // Give any stray frame time to arrive before asserting absence.
    await b.push([b.op("p2", "title", "from b")]);
    await sa.waitFor((frames) => frameIds(frames).length === 1);
    expect(
      sa.frames.flatMap((f) => (f.type === "ops" ? f.ops.map((op) => op.device_id) : [])),
    ).toEqual([b.deviceId]);
    expect(sc.frames).toEqual([]);
    for (const s of [sa, sb, sc]) s.ws.close();
  });
});

describe("since: backlog then live (R30, R31)", () => {
  it("streams every op after since exactly once, in order, while pushes race the connect", async () => {
    for (let round = 0; round < 5; round++) {
      const a = await server.device();
      const b = await server.device(a.userId);
      const before = PushResponseSchema.parse(
        (await a.push(Array.from({ length: 30 }, (_, i) => a.op(`e${i}`, "n", i)))).body,
      );
      const since = before.ops[9]!.id;
      const racing = (async () => {
        const ids: number[] = [];
        for (let i = 0; i < 10; i++) {
          const page = PushResponseSchema.parse((await a.push([a.op("live", "n", i)])).body);
          ids.push(page.ops[0]!.id);
        }
        return ids;
      })();
      const socket = await b.socket(`&since=${since}`);
      const liveIds = await racing;
      const expected = [...before.ops.slice(10).map((op) => op.id), ...liveIds];
      await socket
        .waitFor((frames) => frameIds(frames).length >= expected.length)
        .catch((error) => {
          throw new Error(
            `expected ${expected.join(",")} got ${frameIds(socket.frames).join(",")}`,
            { cause: error },
          );
        });
      await sleep(50);
      expect(frameIds(socket.frames)).toEqual(expected);
      socket.ws.close();
    }
  });

  it("includes the device's own ops in the backlog, as a pull would", async () => {
    const a = await server.device();
    const pushed = PushResponseSchema.parse((await a.push([a.op("p", "t", 1)])).body);
    const socket = await a.socket("&since=0");
    await socket.waitFor((frames) => frameIds(frames).length === 1);
    expect(frameIds(socket.frames)).toEqual([pushed.ops[0]!.id]);
    socket.ws.close();
  });

  it("sends resync_required and closes 4410 when since lies below the watermark", async () => {
    const a = await server.device();
    const pushed = PushResponseSchema.parse(
      (await a.push([a.op("p", "t", 1), a.op("p", "t", 2)])).body,
    );
    await server.store.ack(a.userId, a.deviceId, pushed.ops[1]!.id);
    await server.store.compact({ userIds: [a.userId] });
    const socket = await a.socket(`&since=${pushed.ops[0]!.id}`);
    const closed = await socket.closed;
    expect(socket.frames).toEqual([
      { type: "resync_required", compacted_up_to: pushed.ops[1]!.id },
    ]);
    expect(closed.code).toBe(CLOSE_CODE.resyncRequired);
    const fresh = await a.socket("&since=0");
    await fresh.waitFor((frames) => frameIds(frames).length > 0);
    fresh.ws.close();
  });

  it("streams a compacted log from since=0 across several frames without a resync", async () => {
    const a = await server.device();
    const ids: number[] = [];
    for (let batch = 0; batch < 3; batch++) {
      const ops = Array.from({ length: 500 }, (_, i) => a.op(`e${batch * 500 + i}`, "n", i));
      ids.push(...PushResponseSchema.parse((await a.push(ops)).body).ops.map((op) => op.id));
    }
    await server.store.ack(a.userId, a.deviceId, ids.at(-1)!);
    await server.store.compact({ userIds: [a.userId] });
    const b = await server.device(a.userId);
    const socket = await b.socket("&since=0");
    await socket.waitFor((frames) => frameIds(frames).length === ids.length, 10_000);
    expect(frameIds(socket.frames)).toEqual(ids);
    expect(socket.frames.length).toBeGreaterThan(1);
    socket.ws.close();
  });

  it("refuses a bad since or a plain GET before upgrading (R29)", async () => {
    const a = await server.device();
    await expect(a.socket("&since=-5")).rejects.toThrow("handshake refused: 400");
    const plain = await server.request("GET", "/sync/ws", { token: a.token });
    expect(plain.status).toBe(400);
    expect(plain.body.type).toBe("invalid_request");
  });
});

describe("client frames (R34)", () => {
  it("answers ping with pong", async () => {
    const a = await server.device();
    const socket = await a.socket();
    socket.ws.send(JSON.stringify({ type: "ping" }));
    await socket.waitFor((frames) => frames.some((frame) => frame.type === "pong"));
    socket.ws.close();
  });

  it.each([
    ["text that is not JSON", "hello"],
    ["an unknown frame", JSON.stringify({ type: "subscribe" })],
    ["an ack with extra keys", JSON.stringify({ ack: 1, extra: true })],
    ["a binary frame", Buffer.from([1, 2, 3])],
  ])("closes 1008 on %s", async (_case, data) => {
    const a = await server.device();
    const socket = await a.socket();
    socket.ws.send(data);
    expect((await socket.closed).code).toBe(CLOSE_CODE.policyViolation);
  });

  it("R34: keeps a socket open for a valid frame and closes 1008 on anything else, whatever the bytes (property)", async () => {
    const a = await server.device();
    const pushed = PushResponseSchema.parse((await a.push([a.op("p", "t", 1)])).body);
    const head = pushed.ops[0]!.id;
    const frame = fc.oneof(
      fc.record({ ack: fc.oneof(fc.integer({ min: -1, max: head + 1 }), fc.jsonValue()) }),
      fc.record({ type: fc.oneof(fc.constantFrom("ping", "pong", "ack"), fc.jsonValue()) }),
      fc.dictionary(fc.constantFrom("ack", "type", "since", "ops"), fc.jsonValue(), {
        minKeys: 1,
      }),
      fc.jsonValue(),
    );
    const data = fc.oneof(
      frame.map((value) => JSON.stringify(value) ?? "null"),
      fc.string({ unit: "binary" }),
      fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    );
    let open = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(data, async (sent) => {
        const socket = await a.socket();
        socket.ws.send(sent);
        const parsed = typeof sent === "string" ? parseJson(sent) : undefined;
        const accepted = ClientFrameSchema.safeParse(parsed);
        const valid =
          accepted.success &&
          ("ack" in accepted.data ? accepted.data.ack >= 0 && accepted.data.ack <= head : true);
        if (valid) {
          // Still open: a ping after it is answered.
          socket.ws.send(JSON.stringify({ type: "ping" }));
          await socket.waitFor((frames) => frames.some((f) => f.type === "pong"));
          open++;
          socket.ws.close();
        } else {
          expect((await socket.closed).code).toBe(CLOSE_CODE.policyViolation);
          refused++;
        }
      }),
      { numRuns: 80 },
    );
    expect(open).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  it("closes 1008 on an ack above the head", async () => {
    const a = await server.device();
    const socket = await a.socket();
    socket.ws.send(JSON.stringify({ ack: 999_999_999 }));
    expect((await socket.closed).code).toBe(CLOSE_CODE.policyViolation);
  });

  it("buffers socket ACKs and flushes them when the socket closes (R36)", async () => {
    const a = await server.device();
    const pushed = PushResponseSchema.parse((await a.push([a.op("p", "t", 1)])).body);
    const id = pushed.ops[0]!.id;
    const socket = await a.socket();
    socket.ws.send(JSON.stringify({ ack: id }));
    for (let i = 0; i < 100 && !server.acks.get(a.userId, a.deviceId); i++) await sleep(10);
    expect(server.acks.get(a.userId, a.deviceId)?.lastSeenId).toBe(id);
    expect(await server.store.cursor(a.userId, a.deviceId)).toBe(0);
    socket.ws.close();
    await socket.closed;
    for (let i = 0; i < 100 && (await server.store.cursor(a.userId, a.deviceId)) !== id; i++)
      await sleep(10);
    expect(await server.store.cursor(a.userId, a.deviceId)).toBe(id);
  });
});

describe("slow consumers (R33)", () => {
  it("closes a socket that stops reading with 1013 while the others keep receiving", async () => {
    const a = await server.device();
    const slow = await server.device(a.userId);
    const healthy = await server.device(a.userId);
    const slowSocket = await slow.socket();
    const healthySocket = await healthy.socket();
    // Stop reading: the server's send buffer for this socket grows.
    (slowSocket.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const big = "x".repeat(60_000);
    let pushed = 0;
    let closed: { code: number } | undefined;
    void slowSocket.closed.then((c) => (closed = c));
    for (let i = 0; i < 400 && !closed; i++) {
      await a.push([a.op(`big${i}`, "blob", big)]);
      pushed++;
      await sleep(5);
    }
    (slowSocket.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await slowSocket.closed).code).toBe(CLOSE_CODE.slowConsumer);
    await healthySocket.waitFor((frames) => frameIds(frames).length === pushed, 10_000);
    healthySocket.ws.close();
  });
});

describe("token expiry", () => {
  it("R8: HTTP and WebSocket agree on a token that expired 3 s ago (the 5 s tolerance): both accept it, the socket closes 4401 at exp + 5 s", async () => {
    const a = await server.device();
    const exp = Math.floor(Date.now() / 1000) - 3;
    const token = await server.token({ userId: a.userId, deviceId: a.deviceId, expiresIn: exp });
    expect((await server.request("GET", "/sync/ops", { token })).status).toBe(200);
    const socket = await server.openSocket(`/sync/ws?access_token=${token}`);
    socket.ws.send(JSON.stringify({ type: "ping" }));
    await socket.waitFor((frames) => frames.some((frame) => frame.type === "pong"));
    expect((await socket.closed).code).toBe(CLOSE_CODE.tokenExpired);
    expect(Date.now()).toBeGreaterThanOrEqual((exp + 5) * 1000 - 50);
  });

  it("R8: a token past exp + 5 s gets 401 on HTTP and on the handshake alike", async () => {
    const a = await server.device();
    const exp = Math.floor(Date.now() / 1000) - 6;
    const token = await server.token({ userId: a.userId, deviceId: a.deviceId, expiresIn: exp });
    expect((await server.request("GET", "/sync/ops", { token })).status).toBe(401);
    await expect(server.openSocket(`/sync/ws?access_token=${token}`)).rejects.toThrow(/401/);
  });

  it("R35: keeps a socket whose token lasts 30 days open (a delay past the 32-bit timer limit)", async () => {
    const a = await server.device();
    const token = await server.token({ userId: a.userId, deviceId: a.deviceId, expiresIn: "30d" });
    const socket = await server.openSocket(`/sync/ws?access_token=${token}`);
    let closed = false;
    void socket.closed.then(() => (closed = true));
    await sleep(500);
    socket.ws.send(JSON.stringify({ type: "ping" }));
    await socket.waitFor((frames) => frames.some((frame) => frame.type === "pong"));
    expect(closed).toBe(false);
    socket.ws.close();
  });
});

describe("client frame bounds (R34)", () => {
  it("closes 1009 on a frame over MAX_CLIENT_FRAME_BYTES, without reading it whole", async () => {
    for (const size of [MAX_CLIENT_FRAME_BYTES + 1, 8 * 1024 * 1024]) {
      const a = await server.device();
      const socket = await a.socket();
      socket.ws.send(JSON.stringify({ ack: 1, pad: "x".repeat(size) }));
      expect((await socket.closed).code).toBe(CLOSE_CODE.messageTooBig);
    }
  });

  it("answers a burst of PING_BURST pings, and closes 1008 when pings come faster", async () => {
    const a = await server.device();
    const socket = await a.socket();
    for (let i = 0; i < PING_BURST; i++) socket.ws.send(JSON.stringify({ type: "ping" }));
    await socket.waitFor(
      (frames) => frames.filter((frame) => frame.type === "pong").length === PING_BURST,
    );
    for (let i = 0; i < 1000; i++) socket.ws.send(JSON.stringify({ type: "ping" }));
    const closed = await socket.closed;
    expect(closed).toEqual({ code: CLOSE_CODE.policyViolation, reason: "too many pings" });
    expect(socket.frames.filter((frame) => frame.type === "pong").length).toBeLessThan(
      PING_BURST + 3,
    );
  });
});
