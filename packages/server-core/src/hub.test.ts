import { CLOSE_CODE } from "@syncline/protocol";
import { describe, expect, it } from "vitest";
import { Hub, type HubSocket } from "./hub.js";

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
        pullEncoded: async () => ({ ops: "[]", count: 0, has_more: false }),
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
      pullEncoded: async () => ({ ops: "[]", count: 0, has_more: false }),
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
