import { until } from "@syncline/testkit";
import { describe, expect, it } from "vitest";
import { type CatchUpProgress, catchUpFraction } from "./index.js";
import {
  type Change,
  device,
  directWriter,
  testNetwork,
  WITHOUT_SNAPSHOTS,
} from "./testing/harness.js";

/** Writes `count` notes from another device, in batches of 500 (a push holds at most 1000). */
async function writeNotes(network: ReturnType<typeof testNetwork>, count: number): Promise<void> {
  const { write } = directWriter(network.server);
  for (let from = 0; from < count; from += 500) {
    const batch: Change[] = [];
    for (let i = from; i < Math.min(count, from + 500); i++)
      batch.push([`n${i}`, "title", `n${i}`]);
    await write(batch);
  }
}

/** Every `catchUp` the client published, in order, until it is synced. */
async function catchUpsUntilSynced(client: ReturnType<typeof device>["client"]) {
  const seen: (CatchUpProgress | null)[] = [];
  const unsubscribe = client.onStatus((status) => {
    if (seen.at(-1) !== status.catchUp) seen.push(status.catchUp);
  });
  client.start();
  await until(() => client.status.state === "synced");
  unsubscribe();
  return seen;
}

describe("C14: catch-up progress", () => {
  it("C14, R75: a pull of several pages reports the id reached against the head, in order, then null", async () => {
    const network = testNetwork(WITHOUT_SNAPSHOTS);
    await writeNotes(network, 2500);
    const head = Math.max(...(await network.server.log()).map((op) => op.id));
    const { client } = device(network, { pullLimit: 1000 });
    const seen = await catchUpsUntilSynced(client);
    const pulls = seen.filter((p) => p !== null);
    expect(pulls.map((p) => p.phase === "pull" && [p.since, p.reached, p.head])).toEqual([
      [0, 1000, head],
      [0, 2000, head],
      [0, 2500, head],
    ]);
    expect(pulls.map((p) => catchUpFraction(p))).toEqual([0.4, 0.8, 1]);
    expect(seen.at(-1)).toBeNull();
    expect(client.status.catchUp).toBeNull();
    await client.stop();
  });

  it("C14: a snapshot read reports the fields loaded after each page but the last; a short pull after it reports nothing", async () => {
    const network = testNetwork();
    await writeNotes(network, 2500);
    const { client } = device(network, { snapshotLimit: 1000 });
    const seen = await catchUpsUntilSynced(client);
    expect(seen.filter((p) => p !== null)).toEqual([
      { phase: "snapshot", fieldsLoaded: 1000 },
      { phase: "snapshot", fieldsLoaded: 2000 },
    ]);
    expect(client.status.catchUp).toBeNull();
    expect(client.list("note")).toHaveProperty("n2499");
    await client.stop();
  });

  it("C14: a catch-up of one page publishes no progress", async () => {
    const network = testNetwork(WITHOUT_SNAPSHOTS);
    await writeNotes(network, 20);
    const { client } = device(network, { pullLimit: 1000 });
    const seen = await catchUpsUntilSynced(client);
    expect(seen.filter((p) => p !== null)).toEqual([]);
    await client.stop();
  });

  it("C14: a catch-up that fails mid-way clears its progress", async () => {
    const network = testNetwork(WITHOUT_SNAPSHOTS);
    await writeNotes(network, 2500);
    let pulls = 0;
    const transport = network.transport();
    const { client, scheduler } = device(network, {
      pullLimit: 1000,
      transport: {
        ...transport,
        pull: (query, credentials) =>
          ++pulls === 2
            ? Promise.resolve({ ok: false, failure: { type: "network", message: "cut" } })
            : transport.pull(query, credentials),
      },
    });
    const seen: (CatchUpProgress | null)[] = [];
    client.onStatus((status) => seen.push(status.catchUp));
    client.start();
    await until(() => client.status.state === "offline" && pulls >= 2);
    expect(seen.some((p) => p?.phase === "pull")).toBe(true);
    expect(client.status.catchUp).toBeNull();
    scheduler.advance(60_000);
    await until(() => client.status.state === "synced");
    expect(client.status.catchUp).toBeNull();
    await client.stop();
  });
});
