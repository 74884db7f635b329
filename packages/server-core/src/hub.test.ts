import { randomUUID } from "node:crypto";
import { CLOSE_CODE } from "@syncline/protocol";
import { describe, expect, it } from "vitest";
import { upsert } from "./conformance/ops.js";
import { Hub, type HubSocket } from "./hub.js";
import { MemorySyncStore } from "./memory-store.js";

function socket(buffered: number) {
  const sent: string[] = [];
  const closes: number[] = [];
  const hubSocket: HubSocket = {
    userId: "u",
    deviceId: "d",
    send: (data) => sent.push(data),
    close: (code) => closes.push(code),
    bufferedAmount: () => buffered,
  };
  return { hubSocket, sent, closes };
}

describe("Hub.size", () => {
  it("counts connected sockets without an observer", async () => {
    const hub = new Hub({
      store: {
        pullEncoded: async () => ({ ops: "[]", count: 0, has_more: false, head: 0 }),
        headId: async () => 0,
      },
    });
    const leaveA = await hub.connect(socket(0).hubSocket);
    const leaveB = await hub.connect(socket(0).hubSocket);
    expect(hub.size).toBe(2);
    leaveA();
    leaveA();
    expect(hub.size).toBe(1);
    leaveB();
    expect(hub.size).toBe(0);
  });
});

describe("Hub.send (R33)", () => {
  const hub = new Hub({
    store: {
      pullEncoded: async () => ({ ops: "[]", count: 0, has_more: false, head: 0 }),
      headId: async () => 0,
    },
    maxBufferedBytes: 1000,
  });

  it("sends while the socket's unsent bytes are within the bound", () => {
    const { hubSocket, sent, closes } = socket(1000);
    expect(hub.send(hubSocket, '{"type":"pong"}')).toBe(true);
    expect(sent).toEqual(['{"type":"pong"}']);
    expect(closes).toEqual([]);
  });

  it("closes a socket past the bound with 1013 instead of queueing more, pongs included", () => {
    const { hubSocket, sent, closes } = socket(1001);
    expect(hub.send(hubSocket, '{"type":"pong"}')).toBe(false);
    expect(sent).toEqual([]);
    expect(closes).toEqual([CLOSE_CODE.slowConsumer]);
  });
});

describe("Hub fan-out frames (R31, R32)", () => {
  function member(userId: string, deviceId: string) {
    const sent: string[] = [];
    const hubSocket: HubSocket = {
      userId,
      deviceId,
      send: (data) => sent.push(data),
      close: () => {},
      bufferedAmount: () => 0,
    };
    return { hubSocket, sent };
  }

  it("sends every other device the same frame of the page, the pusher none, and a backlog with the socket's own ops", async () => {
    const store = new MemorySyncStore();
    const hub = new Hub({ store });
    const [user, pusher] = [randomUUID(), randomUUID()];
    const others = [member(user, randomUUID()), member(user, randomUUID())];
    const own = member(user, pusher);
    for (const socket of [...others, own]) await hub.connect(socket.hubSocket);
    const pushed = await store.push(user, pusher, [upsert(1, "p1", "title", "Road trip")]);
    hub.notify(user, pushed[0]!.id);
    await expect.poll(() => others.map((socket) => socket.sent.length)).toEqual([1, 1]);
    const frame = JSON.parse(others[0]!.sent[0]!);
    expect(frame).toEqual({
      type: "ops",
      ops: await store.pull(user, { since: 0, limit: 10 }).then((page) => page.ops),
    });
    expect(others[1]!.sent[0]).toBe(others[0]!.sent[0]);
    expect(own.sent).toEqual([]);

    const late = member(user, pusher);
    await hub.connect(late.hubSocket, 0);
    expect(late.sent.map((data) => JSON.parse(data))).toEqual([frame]);
  });
});
