import { beforeAll, expect, it } from "vitest";
import { testDevice } from "./testing/device.js";
import { useServerEnvironment } from "./testing/server-environment.js";
import type { ServerProcess } from "./testing/server-process.js";

const environment = useServerEnvironment();
let a: ServerProcess;
let b: ServerProcess;
beforeAll(async () => {
  [a, b] = await Promise.all([environment.start(), environment.start()]);
});

// PROTOCOL.md R32: fan-out holds for sockets on any server process sharing the database.
it("delivers pushes made through process A to a device connected to process B, in id order, once", async () => {
  const pusher = await testDevice(environment.env);
  const onB = await testDevice(environment.env, pusher.userId);
  const alsoOnA = await testDevice(environment.env, pusher.userId);
  const stranger = await testDevice(environment.env);
  const [socketB, socketA, strangerSocket] = await Promise.all([
    onB.socket(b.url),
    alsoOnA.socket(a.url),
    stranger.socket(b.url),
  ]);
  const ids: number[] = [];
  for (let batch = 0; batch < 20; batch++) {
    const stored = await pusher.push(a.url, [
      pusher.op(`e${batch}`, "n", batch),
      pusher.op(`e${batch}`, "m", batch),
    ]);
    ids.push(...stored.map((op) => op.id));
  }
  await socketB.waitFor(() => socketB.ids().length >= ids.length);
  await socketA.waitFor(() => socketA.ids().length >= ids.length);
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(socketB.ids()).toEqual(ids);
  expect(socketA.ids()).toEqual(ids);
  expect(strangerSocket.frames).toEqual([]);
  for (const socket of [socketA, socketB, strangerSocket]) socket.ws.close();
});

it("interleaves pushes through both processes into one id order on every socket", async () => {
  const one = await testDevice(environment.env);
  const two = await testDevice(environment.env, one.userId);
  const watcher = await testDevice(environment.env, one.userId);
  const [watchA, watchB] = await Promise.all([watcher.socket(a.url), watcher.socket(b.url)]);
  const pushed = await Promise.all([
    (async () => {
      const ids: number[] = [];
      for (let i = 0; i < 15; i++)
        ids.push(...(await one.push(a.url, [one.op("x", "a", i)])).map((op) => op.id));
      return ids;
    })(),
    (async () => {
      const ids: number[] = [];
      for (let i = 0; i < 15; i++)
        ids.push(...(await two.push(b.url, [two.op("x", "b", i)])).map((op) => op.id));
      return ids;
    })(),
  ]);
  const all = pushed.flat().sort((x, y) => x - y);
  await watchA.waitFor(() => watchA.ids().length >= all.length);
  await watchB.waitFor(() => watchB.ids().length >= all.length);
  expect(watchA.ids()).toEqual(all);
  expect(watchB.ids()).toEqual(all);
  watchA.ws.close();
  watchB.ws.close();
});
