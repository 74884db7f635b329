import type { IncomingMessage, Server } from "node:http";
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { Hono } from "hono";
import { defineWebSocketHelper, type UpgradeWebSocket, WSContext, type WSEvents } from "hono/ws";
import { type WebSocket, WebSocketServer } from "ws";

/** What {@link createNodeWebSocket} gives the server. */
export interface NodeWebSocket {
  /** Hono's WebSocket helper for the routes (`createSyncRoutes({ upgradeWebSocket })`). */
  upgradeWebSocket: UpgradeWebSocket<WebSocket>;
  /** Makes `server` answer upgrade requests through `app`. Call once, after `serve()`. */
  injectWebSocket(server: Server): void;
}

/** Options of {@link createNodeWebSocket}. */
export interface NodeWebSocketOptions {
  /** The app whose routes accept upgrades. */
  app: Hono;
  /** Largest client frame `ws` accepts; bigger ones close the socket with 1009 (R34). */
  maxPayload: number;
  /** Gets what a route's socket handler throws and why an upgrade failed (neither reaches the process). */
  onError(error: unknown): void;
}

type Events = WSEvents<WebSocket>;

/**
 * Hono WebSockets on Node's `http` server with `ws`, in the shape of
 * `@hono/node-ws` but lean: once a socket is open, only its event handlers
 * stay referenced. `@hono/node-ws` 1.3 keeps each upgrade's Hono context (the
 * request, its headers, Node's `IncomingMessage`) for the socket's whole life,
 * which the idle-socket bench measured at several KB per socket. A refused
 * upgrade gets its route's status and JSON error body (e.g. 401
 * `unauthorized`), not an empty response.
 * @example
 * const { upgradeWebSocket, injectWebSocket } = createNodeWebSocket({ app, maxPayload: 4096 });
 * injectWebSocket(serve({ fetch: app.fetch, port: 8787 }) as Server);
 */
export function createNodeWebSocket(options: NodeWebSocketOptions): NodeWebSocket {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload });
  /** Upgrades the route accepted, until `ws` completes them. */
  const accepted = new WeakMap<IncomingMessage, Events>();

  const upgradeWebSocket = defineWebSocketHelper<WebSocket>(async (c, events) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") return;
    accepted.set((c.env as { incoming: IncomingMessage }).incoming, events);
    return new Response(null);
  });

  const upgrade = async (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined)
        headers.append(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const url = new URL(request.url ?? "/", "http://localhost");
    const response = await options.app.request(url, { headers }, { incoming: request });
    const events = accepted.get(request);
    accepted.delete(request);
    if (!events || response.status !== 200) {
      const body = Buffer.from(await response.arrayBuffer());
      const type = response.headers.get("content-type");
      socket.end(
        `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ""}\r\nConnection: close\r\n${
          type ? `Content-Type: ${type}\r\n` : ""
        }Content-Length: ${body.length}\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => open(ws, events, options.onError));
  };

  return {
    upgradeWebSocket,
    injectWebSocket(server) {
      server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
        upgrade(request, socket, head).catch((error: unknown) => {
          options.onError(error);
          socket.destroy();
        });
      });
    },
  };
}

/** Wires an open socket to the route's events; nothing of the upgrade request is kept. */
function open(ws: WebSocket, events: Events, onError: (error: unknown) => void): void {
  const context = new WSContext<WebSocket>({
    send: (data, sendOptions) => ws.send(data, { compress: sendOptions.compress }),
    close: (code, reason) => ws.close(code, reason),
    get readyState() {
      return ws.readyState as 0 | 1 | 2 | 3;
    },
    raw: ws,
    protocol: ws.protocol,
  });
  const run = (handle: () => void) => {
    try {
      handle();
    } catch (error) {
      onError(error);
    }
  };
  run(() => events.onOpen?.(new Event("open"), context));
  ws.on("message", (data, isBinary) => {
    const message = new MessageEvent("message", {
      data: isBinary ? toArrayBuffer(data) : data.toString(),
    });
    run(() => events.onMessage?.(message, context));
  });
  ws.on("close", (code, reason) => {
    // Node 20 has no global CloseEvent: an Event with its fields.
    const event = Object.assign(new Event("close"), {
      code,
      reason: reason.toString(),
      wasClean: true,
    });
    run(() => events.onClose?.(event as Parameters<NonNullable<Events["onClose"]>>[0], context));
  });
  ws.on("error", (error) => {
    const event = Object.assign(new Event("error"), { error, message: error.message });
    run(() => events.onError?.(event, context));
  });
}

/** A binary frame's bytes as one ArrayBuffer. */
function toArrayBuffer(data: WebSocket.RawData): ArrayBuffer {
  const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
  return buffer.buffer.slice(
    buffer.byteOffset,
    buffer.byteOffset + buffer.byteLength,
  ) as ArrayBuffer;
}
