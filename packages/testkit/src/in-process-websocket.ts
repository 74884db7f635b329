import type { WebSocketConstructor, WebSocketLike } from "@syncline/client";
import {
  defineWebSocketHelper,
  type UpgradeWebSocket,
  WSContext,
  type WSEvents,
  type WSReadyState,
} from "hono/ws";

/** The part of a Hono app a handshake is sent to: `app.fetch`, with the env it passes on as `c.env`. */
export interface FetchHandler {
  fetch(request: Request, env?: object): Response | Promise<Response>;
}

/** One WebSocket pair with no network between the ends: a Hono `UpgradeWebSocket` and the client class it accepts. */
export interface InProcessWebSocket {
  /** The server half, for `createSyncRoutes({ upgradeWebSocket })`. */
  readonly upgradeWebSocket: UpgradeWebSocket;
  /**
   * The client half, for `createHttpTransport({ WebSocket })`: each socket's
   * handshake is a request to `app`, and a socket opens when the routes
   * upgrade it; any other answer (401, 400, 404) refuses it as a browser
   * sees a refused handshake: an `error` event, then close code 1006.
   */
  clientFor(app: FetchHandler): WebSocketConstructor;
  /** Sockets whose server side has not closed yet (its `onClose` has not run). */
  openServerSockets(): number;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** Close code of a connection that ended without a close frame (RFC 6455). */
const ABNORMAL_CLOSURE = 1006;
/** Close code a peer reports for a close frame that carried none (RFC 6455). */
const NO_STATUS_RECEIVED = 1005;

/** Where the client half leaves its handshake in `c.env` for the server half to accept. */
const HANDSHAKE = Symbol("in-process WebSocket handshake");

interface ServerHandlers {
  readonly events: WSEvents<unknown>;
  readonly onError: (error: unknown) => void;
}

interface Handshake {
  accept(handlers: ServerHandlers): void;
}

interface CloseFrame {
  readonly code: number;
  readonly reason: string;
}

/** Node 20 has no global `CloseEvent`; this carries what Hono's `onClose` reads. */
class InProcessCloseEvent extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;

  constructor(frame: CloseFrame) {
    super("close");
    this.code = frame.code;
    this.reason = frame.reason;
    this.wasClean = frame.code !== ABNORMAL_CLOSURE;
  }
}

/** The client end as the connection drives it. */
interface ClientEnd {
  readyState: number;
  opened(): void;
  message(data: unknown): void;
  closed(frame: CloseFrame): void;
}

/**
 * Both ends of one open socket. Every frame — data or close — crosses in its
 * own microtask, so each direction keeps its order and nothing arrives
 * synchronously. Closing follows the WebSocket close handshake: the side that
 * closes sends a close frame, the other answers with one, and each side's
 * close event carries the code of the close frame it received.
 */
class Connection {
  server: WSReadyState = OPEN;
  readonly context: WSContext<{ readonly bufferedAmount: number }>;
  readonly #client: ClientEnd;
  readonly #handlers: ServerHandlers;

  readonly #open: Set<Connection>;

  constructor(client: ClientEnd, handlers: ServerHandlers, url: string, open: Set<Connection>) {
    this.#client = client;
    this.#handlers = handlers;
    this.#open = open;
    open.add(this);
    const connection = this;
    this.context = new WSContext({
      send: (data) => this.#serverSends(data),
      close: (code, reason) => this.#serverCloses(code, reason),
      get readyState() {
        return connection.server;
      },
      // Frames leave at once: nothing is ever queued unsent (R33's bufferedAmount).
      raw: { bufferedAmount: 0 },
      url,
    });
    client.readyState = OPEN;
    queueMicrotask(() => client.opened());
    this.#run(() => handlers.events.onOpen?.(new Event("open"), this.context));
  }

  clientSends(data: string): void {
    queueMicrotask(() => {
      if (this.server !== OPEN) return;
      this.#run(() =>
        this.#handlers.events.onMessage?.(new MessageEvent("message", { data }), this.context),
      );
    });
  }

  clientCloses(code: number | undefined, reason: string | undefined): void {
    const frame = { code: code ?? NO_STATUS_RECEIVED, reason: reason ?? "" };
    queueMicrotask(() => this.#serverReceivesClose(frame));
  }

  #serverSends(data: string | ArrayBuffer | Uint8Array): void {
    if (this.server !== OPEN) return;
    queueMicrotask(() => {
      if (this.#client.readyState === OPEN) this.#client.message(data);
    });
  }

  #serverCloses(code: number | undefined, reason: string | undefined): void {
    if (this.server !== OPEN) return;
    this.server = CLOSING;
    const frame = { code: code ?? NO_STATUS_RECEIVED, reason: reason ?? "" };
    queueMicrotask(() => this.#clientReceivesClose(frame));
  }

  #clientReceivesClose(frame: CloseFrame): void {
    if (this.#client.readyState === CLOSED) return;
    // The server began the close: the client answers with the same code.
    if (this.#client.readyState === OPEN) queueMicrotask(() => this.#serverReceivesClose(frame));
    this.#client.closed(frame);
  }

  #serverReceivesClose(frame: CloseFrame): void {
    if (this.server === CLOSED) return;
    // The client began the close: the server answers with the same code.
    if (this.server === OPEN) queueMicrotask(() => this.#clientReceivesClose(frame));
    this.server = CLOSED;
    this.#open.delete(this);
    this.#run(() => this.#handlers.events.onClose?.(new InProcessCloseEvent(frame), this.context));
  }

  /** Runs a server handler; what it throws goes to the helper's `onError`, as in `@hono/node-ws`. */
  #run(handler: () => void): void {
    try {
      handler();
    } catch (error) {
      this.#handlers.onError(error);
    }
  }
}

function clientClass(app: FetchHandler, open: Set<Connection>): WebSocketConstructor {
  return class InProcessClientWebSocket implements WebSocketLike, ClientEnd {
    readyState: number = CONNECTING;
    onopen: ((event: unknown) => void) | null = null;
    onmessage: ((event: { readonly data: unknown }) => void) | null = null;
    onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;
    #connection: Connection | undefined;

    constructor(url: string) {
      void this.#handshake(url);
    }

    send(data: string): void {
      if (this.readyState === CONNECTING) {
        throw new DOMException("the socket is not open yet", "InvalidStateError");
      }
      if (this.readyState === OPEN) this.#connection?.clientSends(data);
    }

    close(code?: number, reason?: string): void {
      if (this.readyState === CLOSING || this.readyState === CLOSED) return;
      const handshaking = this.readyState === CONNECTING;
      this.readyState = CLOSING;
      // Closed during the handshake: the handshake's end reports the close.
      if (!handshaking) this.#connection?.clientCloses(code, reason);
    }

    opened(): void {
      if (this.readyState === OPEN) this.onopen?.(new Event("open"));
    }

    message(data: unknown): void {
      this.onmessage?.(new MessageEvent("message", { data }));
    }

    closed(frame: CloseFrame): void {
      this.readyState = CLOSED;
      this.onclose?.(new InProcessCloseEvent(frame));
    }

    async #handshake(url: string): Promise<void> {
      let accepted: ServerHandlers | undefined;
      const handshake: Handshake = {
        accept: (handlers) => {
          accepted = handlers;
        },
      };
      const request = new Request(url.replace(/^ws/, "http"), {
        headers: { upgrade: "websocket", connection: "Upgrade" },
      });
      let upgraded = false;
      try {
        const response = await app.fetch(request, { [HANDSHAKE]: handshake });
        upgraded = response.ok && accepted !== undefined;
      } catch {
        upgraded = false;
      }
      if (this.readyState !== CONNECTING || !accepted || !upgraded) {
        if (this.readyState === CONNECTING) this.onerror?.(new Event("error"));
        this.closed({ code: ABNORMAL_CLOSURE, reason: "" });
        return;
      }
      this.#connection = new Connection(this, accepted, request.url, open);
    }
  };
}

/**
 * A WebSocket that never touches the network: the real routes' WebSocket
 * handler (`wsRoute`: handshake auth, backlog, fan-out, ACK and ping frames,
 * close codes) runs against client sockets made in the same process, the way
 * `@hono/node-ws` pairs them over TCP. Frames cross as they are sent (JSON
 * text), in order, each in a later microtask; `close(code)` on either side
 * reaches the other side's close event with that code.
 * @example
 * const sockets = createInProcessWebSocket();
 * const app = createSyncRoutes({ store, auth, upgradeWebSocket: sockets.upgradeWebSocket });
 * const transport = createHttpTransport({ url: "http://in-process", fetch, WebSocket: sockets.clientFor(app) });
 */
export function createInProcessWebSocket(): InProcessWebSocket {
  const open = new Set<Connection>();
  return {
    upgradeWebSocket: defineWebSocketHelper<unknown, { onError?: (error: unknown) => void }>(
      (c, events, options) => {
        const handshake = (c.env as { [HANDSHAKE]?: Handshake } | undefined)?.[HANDSHAKE];
        if (!handshake || c.req.header("upgrade")?.toLowerCase() !== "websocket") return;
        handshake.accept({ events, onError: options?.onError ?? console.error });
        // Stands for 101 Switching Protocols, a status a `Response` cannot carry.
        return new Response(null);
      },
    ),
    clientFor: (app) => clientClass(app, open),
    openServerSockets: () => open.size,
  };
}
