/**
 * A server in a child process for the idle-socket bench, so its memory is
 * its own: `syncline <databaseUrl> <dataDir>` or `bare`. Prints its URL as
 * one JSON line; on the IPC message "measure" it collects garbage and sends
 * back its memory usage.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { WebSocketServer } from "ws";
import { loadConfig } from "../src/config.js";
import { startServer } from "../src/server.js";

const [kind, databaseUrl, dataDir] = process.argv.slice(2);

async function start(): Promise<string> {
  if (kind === "syncline") {
    const server = await startServer(
      loadConfig({
        DATABASE_URL: databaseUrl,
        PORT: "0",
        SYNCLINE_DATA_DIR: dataDir,
        SYNCLINE_COMPACTION_AT: "off",
      }),
      pino({ level: "silent" }),
    );
    return server.url;
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
