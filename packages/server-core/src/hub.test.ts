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

/** A socket of `userId`'s `deviceId` that keeps what it is sent. */
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

describe("Hub.pushed: a push of this process, sent without reading it back (R32)", () => {
  /** A memory store that counts the hub's reads of new ops. */
  function countingStore() {
    const store = new MemorySyncStore();
    let reads = 0;
    const hubStore = {
      headId: (userId: string) => store.headId(userId),
      pullEncoded: (...args: Parameters<MemorySyncStore["pullEncoded"]>) => {
        reads++;
        return store.pullEncoded(...args);
      },
    };
    return { store, hubStore, reads: () => reads };
  }

  /** A hub over {@link countingStore} with one socket of a user connected (not the pusher's). */
  async function watchedUser() {
    const { store, hubStore, reads } = countingStore();
    const hub = new Hub({ store: hubStore });
    const [user, pusher] = [randomUUID(), randomUUID()];
    const other = member(user, randomUUID());
    await hub.connect(other.hubSocket);
    return { store, hub, user, pusher, other, reads };
  }

  it("sends the new ops of a push that follows what the hub sent, at once and without a read, with a pull's frame", async () => {
    const { store, hub, user, pusher, other, reads } = await watchedUser();

    const title = upsert(1, "p1", "title", "A");
    const first = await store.pushWithHead(user, pusher, [title]);
    hub.pushed(user, first.headBefore, first.ops);
    // A batch with a duplicate: only its new op goes out.
    const second = await store.pushWithHead(user, pusher, [title, upsert(2, "p1", "rating", 5)]);
    hub.pushed(user, second.headBefore, second.ops);

    expect(reads()).toBe(0);
    const log = await store.pull(user, { since: 0, limit: 10 }).then((page) => page.ops);
    expect(other.sent.map((data) => JSON.parse(data))).toEqual([
      { type: "ops", ops: [log[0]] },
      { type: "ops", ops: [log[1]] },
    ]);
  });

  it("reads the log instead when another process's push came between, so nothing is skipped", async () => {
    const { store, hub, user, pusher, other, reads } = await watchedUser();

    // Stored by another process: this hub was not told (its notification is late).
    await store.push(user, randomUUID(), [upsert(1, "p1", "title", "elsewhere")]);
    const mine = await store.pushWithHead(user, pusher, [upsert(1, "p1", "rating", 5)]);
    hub.pushed(user, mine.headBefore, mine.ops);

    const log = await store.pull(user, { since: 0, limit: 10 }).then((page) => page.ops);
    await expect.poll(() => other.sent.flatMap((data) => JSON.parse(data).ops)).toEqual(log);
    expect(reads()).toBeGreaterThan(0);
  });

  it("sends nothing for a batch of duplicates only", async () => {
    const { store, hub, user, pusher, other } = await watchedUser();
    const op = upsert(1, "p1", "title", "A");
    const first = await store.pushWithHead(user, pusher, [op]);
    hub.pushed(user, first.headBefore, first.ops);
    const again = await store.pushWithHead(user, pusher, [op]);
    hub.pushed(user, again.headBefore, again.ops);
    expect(other.sent).toHaveLength(1);
  });
});

describe("Hub.pushed while the user's head is still being read", () => {
  it("a head read from before the push never moves the cursor back: its op is not sent again", async () => {
    const store = new MemorySyncStore();
    const [user, pusher] = [randomUUID(), randomUUID()];
    let answerHead: (head: number) => void = () => {};
    let reads = 0;
    const hub = new Hub({
      store: {
        headId: () => new Promise<number>((resolve) => (answerHead = resolve)),
        pullEncoded: (...args: Parameters<MemorySyncStore["pullEncoded"]>) => {
          reads++;
          return store.pullEncoded(...args);
        },
      },
    });
    const { hubSocket, sent } = member(user, randomUUID());
    const joining = hub.connect(hubSocket);
    // The push commits while the hub still reads the head (it read 0, before the push).
    const { ops, headBefore } = await store.pushWithHead(user, pusher, [upsert(1, "p1", "t", "A")]);
    hub.pushed(user, headBefore, ops);
    answerHead(0);
    await joining;
    // The next op (another process's): the socket gets it alone, not the first one again.
    const [next] = await store.push(user, randomUUID(), [upsert(1, "p1", "t", "B")]);
    hub.notify(user, next!.id);
    await expect.poll(() => sent.length).toBe(1);
    expect(JSON.parse(sent[0]!).ops.map((op: { id: number }) => op.id)).toEqual([next!.id]);
    expect(reads).toBe(1);
  });
});
