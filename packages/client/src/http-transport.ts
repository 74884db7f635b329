import {
  ACCESS_TOKEN_PARAM,
  ACK_PATH,
  AckResponseSchema,
  AUTHORIZATION_HEADER,
  BEARER_PREFIX,
  CURSOR_PARAM,
  DEVICE_ID_HEADER,
  DEVICE_ID_PARAM,
  ENTITY_TYPE_PARAM,
  ErrorBodySchema,
  invalidRequest,
  LIMIT_PARAM,
  OPS_PATH,
  opsOfPushReceipt,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_HEADER,
  PullResponseSchema,
  PushReceiptSchema,
  type PushResponse,
  PushResponseSchema,
  RESYNC_PARAM,
  ServerFrameSchema,
  SINCE_PARAM,
  SNAPSHOT_PATH,
  SnapshotResponseSchema,
  WS_PATH,
} from "@syncline/protocol";
import { z } from "zod";
import type { Credentials, Transport, TransportResult, TransportSocket } from "./transport.js";

/**
 * What a push may be answered with: the push asks for a receipt (R76), and
 * a server from before receipts answers the stored rows.
 */
const PushAnswerBodySchema = z.union([PushReceiptSchema, PushResponseSchema]);

/** The part of the WHATWG `WebSocket` the transport uses (the `ws` package has it too). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(): void;
}

/** A `WebSocket` class: the global one in browsers, `ws`'s in Node. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Options of {@link createHttpTransport}. */
export interface HttpTransportOptions {
  /**
   * Where the sync routes are mounted: `${url}/sync/ops`, `${url}/sync/ws`, …
   * The WebSocket URL is the same with `ws:`/`wss:`.
   * @example "https://api.example.com"
   */
  readonly url: string | URL;
  /** The `fetch` to use. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** The `WebSocket` class to use. @default globalThis.WebSocket, else the `ws` package */
  readonly WebSocket?: WebSocketConstructor;
  /** Abandon an HTTP request (as a network failure) after this many ms. @default 30_000 */
  readonly timeoutMs?: number;
}

const OPEN = 1;

/**
 * The real {@link Transport}: HTTP with `fetch` and the `/sync/ws` WebSocket,
 * exactly as the protocol package defines them. Answers are validated with
 * the protocol's schemas; failures come back as values, never thrown.
 * @example
 * const transport = createHttpTransport({ url: "http://localhost:8787" });
 */
export function createHttpTransport(options: HttpTransportOptions): Transport {
  const root = String(options.url).replace(/\/+$/, "");
  const fetchFn = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;
  let webSocket: Promise<WebSocketConstructor> | undefined;

  async function request<T>(
    schema: z.ZodType<T>,
    path: string,
    credentials: Credentials,
    body?: unknown,
  ): Promise<TransportResult<T>> {
    const headers: Record<string, string> = {
      [AUTHORIZATION_HEADER]: `${BEARER_PREFIX}${credentials.token}`,
      [DEVICE_ID_HEADER]: credentials.deviceId,
      [PROTOCOL_VERSION_HEADER]: String(PROTOCOL_VERSION),
    };
    if (body !== undefined) headers["content-type"] = "application/json";
    const send = async () => {
      const response = await fetchFn(`${root}${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { status: response.status, text: await response.text() };
    };
    let status: number;
    let text: string;
    try {
      // Every request of the protocol is idempotent (push by operation_id,
      // R14), so one that met a connection the server had just closed as
      // idle is sent once more, on a fresh connection.
      ({ status, text } = await send().catch((error: unknown) => {
        if (isConnectionReset(error)) return send();
        throw error;
      }));
    } catch (error) {
      return { ok: false, failure: { type: "network", message: messageOf(error) } };
    }
    const json = parseJson(text);
    if (status < 200 || status > 299) {
      const parsed = ErrorBodySchema.safeParse(json);
      const errorBody = parsed.success ? parsed.data : null;
      const message = errorBody?.message ?? `HTTP ${status}`;
      return { ok: false, failure: { type: "http", status, body: errorBody, message } };
    }
    const parsed = schema.safeParse(json);
    if (parsed.success) return { ok: true, value: parsed.data };
    return {
      ok: false,
      failure: { type: "protocol", message: invalidRequest(parsed.error, "response").message },
    };
  }

  return {
    async push(ops, credentials): Promise<TransportResult<PushResponse>> {
      const answered = await request(PushAnswerBodySchema, OPS_PATH, credentials, {
        ops,
        answer: "receipt",
      });
      if (!answered.ok) return answered;
      if ("ops" in answered.value) return { ok: true, value: answered.value };
      const stored = opsOfPushReceipt(ops, credentials.deviceId, answered.value);
      if (stored) return { ok: true, value: { ops: stored } };
      return {
        ok: false,
        failure: { type: "protocol", message: "push receipt does not match the batch" },
      };
    },
    pull: ({ since, limit, resync }, credentials) =>
      request(
        PullResponseSchema,
        `${OPS_PATH}?${SINCE_PARAM}=${since}&${LIMIT_PARAM}=${limit}${resync ? `&${RESYNC_PARAM}=true` : ""}`,
        credentials,
      ),
    snapshot: ({ limit, entityType, cursor }, credentials) => {
      const query = new URLSearchParams({ [LIMIT_PARAM]: String(limit) });
      if (entityType !== undefined) query.set(ENTITY_TYPE_PARAM, entityType);
      if (cursor !== undefined) query.set(CURSOR_PARAM, cursor);
      return request(SnapshotResponseSchema, `${SNAPSHOT_PATH}?${query}`, credentials);
    },
    ack: (lastSeenId, credentials) =>
      request(AckResponseSchema, ACK_PATH, credentials, { last_seen_id: lastSeenId }),
    connect(since, credentials, listener): TransportSocket {
      const query = new URLSearchParams({
        [SINCE_PARAM]: String(since),
        [ACCESS_TOKEN_PARAM]: credentials.token,
        [DEVICE_ID_PARAM]: credentials.deviceId,
      });
      const url = `${root.replace(/^http/, "ws")}${WS_PATH}?${query}`;
      let socket: WebSocketLike | undefined;
      let closing = false;
      let done = false;
      const finish = (reason: string, code?: number) => {
        if (done) return;
        done = true;
        listener.close(reason, code);
      };
      webSocket ??= resolveWebSocket(options.WebSocket);
      webSocket.then(
        (WebSocketClass) => {
          if (closing) return finish("closed by the client");
          try {
            socket = new WebSocketClass(url);
          } catch (error) {
            return finish(`cannot open the socket: ${messageOf(error)}`);
          }
          const current = socket;
          current.onopen = () => {
            if (!done) listener.open();
          };
          current.onmessage = (event) => {
            if (done) return;
            const parsed = ServerFrameSchema.safeParse(parseJson(String(event.data)));
            if (parsed.success) return listener.frame(parsed.data);
            finish(invalidRequest(parsed.error, "frame").message);
            current.close();
          };
          current.onclose = (event) =>
            finish(
              `socket closed (${event.code}${event.reason ? `: ${event.reason}` : ""})`,
              event.code,
            );
          current.onerror = () => {}; // a close event follows
        },
        (error) => finish(`no WebSocket available: ${messageOf(error)}`),
      );
      return {
        send(frame) {
          if (!done && socket?.readyState === OPEN) socket.send(JSON.stringify(frame));
        },
        close() {
          closing = true;
          socket?.close();
        },
      };
    },
  };
}

async function resolveWebSocket(given?: WebSocketConstructor): Promise<WebSocketConstructor> {
  const found = given ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (found) return found;
  const ws = await import("ws");
  return ws.default as unknown as WebSocketConstructor;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Codes of a connection closed under a request (a reused keep-alive connection the server had just closed). */
const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"]);

/** Whether a `fetch` failure means the connection was closed under the request, rather than refused or timed out. */
function isConnectionReset(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string" && RESET_CODES.has(code)) return true;
  }
  return false;
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}
