/**
 * Fan-out latency: one device pushes, N other sockets of the user receive
 * the frame; beside a bare `ws` server that broadcasts each POSTed body to
 * N sockets. Both are timed from the POST to each socket's message event.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ACCESS_TOKEN_PARAM, OPS_PATH, type Op, WS_PATH } from "@syncline/protocol";
import WebSocket, { WebSocketServer } from "ws";
import type { BenchServer } from "./bench-server.js";
import { interleave, median, quantile, report, SCALE, sleep } from "./measure.js";

/** A bare HTTP + `ws` server: every POSTed body goes to every socket, as is. */
async function startBareBroadcast(): Promise<{ url: string; stop(): Promise<void> }> {
  const wss = new WebSocketServer({ noServer: true });
  const http = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      for (const socket of wss.clients) socket.send(body);
      response.end("{}");
    });
  });
  http.on("upgrade", (request, socket, head) =>
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request)),
  );
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    async stop() {
      for (const socket of wss.clients) socket.terminate();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

/** Opens `count` sockets to `url`, a few hundred at a time. */
async function openSockets(urls: readonly string[]): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let start = 0; start < urls.length; start += 200) {
    const opened = await Promise.all(
      urls.slice(start, start + 200).map(
        (url) =>
          new Promise<WebSocket>((resolve, reject) => {
            const ws = new WebSocket(url);
            ws.once("open", () => resolve(ws));
            ws.once("error", reject);
          }),
      ),
    );
    sockets.push(...opened);
  }
  return sockets;
}

/**
 * Pushes `pushes` one-op batches in turn, each after the last reached every
 * socket, and returns every delivery's latency in ms, ascending.
 */
async function measure(
  sockets: readonly WebSocket[],
  pushes: number,
  nextLamport: () => number,
  post: (body: string) => Promise<void>,
): Promise<number[]> {
  const latencies: number[] = [];
  let sentAt = 0;
  let waiting = 0;
  let delivered: () => void = () => {};
  for (const ws of sockets) {
    ws.on("message", () => {
      latencies.push(performance.now() - sentAt);
      if (--waiting === 0) delivered();
    });
  }
  for (let i = 0; i < pushes; i++) {
    const op: Op = {
      operation_id: randomUUID(),
      lamport_ts: nextLamport(),
      entity_type: "playlist",
      entity_id: "p1",
      op: "upsert",
      field: "title",
      value: `Road trip ${i}`,
    };
    waiting = sockets.length;
    const all = new Promise<void>((resolve) => (delivered = resolve));
    sentAt = performance.now();
    await post(JSON.stringify({ ops: [op] }));
    await all;
  }
  for (const ws of sockets) ws.removeAllListeners("message");
  return latencies.sort((a, b) => a - b);
}

/** 100 and 1,000 sockets of one user. */
export async function benchFanOut(server: BenchServer): Promise<void> {
  const bare = await startBareBroadcast();
  try {
    for (const count of [100, 1000]) {
      const pushes = Math.max(20, Math.round((count === 100 ? 200 : 100) * SCALE));
      console.log(`fan-out: ${pushes} pushes to ${count} sockets`);
      const userId = randomUUID();
      const pusher = await server.token(userId);
      const wsBase = `${server.url.replace("http", "ws")}${WS_PATH}?${ACCESS_TOKEN_PARAM}=`;
      const tokens = await Promise.all(Array.from({ length: count }, () => server.token(userId)));
      const syncline = await openSockets(tokens.map((token) => wsBase + token));
      const raw = await openSockets(
        Array.from({ length: count }, () => bare.url.replace("http", "ws")),
      );
      await sleep(500);
      // One clock over every round, so the pusher's Lamport timestamps keep rising.
      let lamport = 0;
      const nextLamport = () => ++lamport;
      const rounds = await interleave(
        () =>
          measure(syncline, pushes, nextLamport, async (body) => {
            const response = await fetch(`${server.url}${OPS_PATH}`, {
              method: "POST",
              headers: { authorization: `Bearer ${pusher}`, "content-type": "application/json" },
              body,
            });
            await response.arrayBuffer();
          }),
        () =>
          measure(raw, pushes, nextLamport, async (body) => {
            const response = await fetch(bare.url, { method: "POST", body });
            await response.arrayBuffer();
          }),
      );
      const at = (side: number[][], q: number) =>
        median(side.map((latencies) => quantile(latencies, q)));
      const a = { p50: at(rounds.syncline, 0.5), p99: at(rounds.syncline, 0.99) };
      const b = { p50: at(rounds.raw, 0.5), p99: at(rounds.raw, 0.99) };
      report({
        path: `fan-out to ${count} sockets, p50 / p99 (ms)`,
        syncline: `${a.p50.toFixed(1)} / ${a.p99.toFixed(1)}`,
        raw: `bare ws broadcast ${b.p50.toFixed(1)} / ${b.p99.toFixed(1)}`,
        ratio: `p50 +${(a.p50 - b.p50).toFixed(1)} ms, p99 ${(a.p99 / b.p99).toFixed(2)}×`,
      });
      for (const ws of [...syncline, ...raw]) ws.terminate();
      await sleep(200);
    }
  } finally {
    await bare.stop();
  }
}
