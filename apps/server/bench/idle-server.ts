/**
 * A server in a child process for the idle-socket bench, so its memory is
 * its own: `syncline <databaseUrl> <dataDir>` or `bare`. Prints its URL as
 * one JSON line; on the IPC message "measure" it collects garbage and sends
 * back its memory usage.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { startQuietServer } from "./bench-server.js";

const [kind, databaseUrl, dataDir] = process.argv.slice(2);

async function start(): Promise<string> {
  if (kind === "syncline") {
    return (await startQuietServer(databaseUrl!, dataDir!)).url;
  }
  const wss = new WebSocketServer({ noServer: true });
  const http = createServer((_request, response) => response.end());
  http.on("upgrade", (request, socket, head) =>
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on("message", () => {});
    }),
  );
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

process.on("message", (message) => {
  if (message !== "measure") return;
  for (let i = 0; i < 3; i++) globalThis.gc?.();
  process.send?.(process.memoryUsage());
});
console.log(JSON.stringify({ url: await start() }));
