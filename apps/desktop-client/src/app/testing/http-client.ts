/**
 * Real HTTP requests for the desktop app's tests, through `node:http` so a
 * test can send any header (Host, Origin, Cookie, Sec-Fetch-Site), which
 * `fetch` does not allow.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { SECRET_HEADER } from "../request-guard.js";

/** An answer: status, headers, and the body as text and (when it is JSON) parsed. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly json: unknown;
}

/** One request. Headers default to what the app's own window would send to `port` with the secret header. */
export interface HttpRequest {
  readonly port: number;
  readonly method?: string;
  readonly path: string;
  /** Replaces the default headers; `undefined` values are left out. */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  /** Sent as JSON (with `Content-Type: application/json` unless the headers say otherwise). */
  readonly body?: unknown;
  /** Sent as is. */
  readonly rawBody?: string;
}

/** The headers a request carries when the test gives none: the right Host, Origin and secret. */
export function appHeaders(port: number, secret: string): Record<string, string> {
  return {
    host: `127.0.0.1:${port}`,
    origin: `http://127.0.0.1:${port}`,
    [SECRET_HEADER]: secret,
  };
}

function send(request: HttpRequest): Promise<IncomingMessage> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (value !== undefined) headers[name] = value;
  }
  const body =
    request.rawBody ?? (request.body === undefined ? undefined : JSON.stringify(request.body));
  if (request.body !== undefined && !Object.keys(headers).some((h) => /^content-type$/i.test(h))) {
    headers["content-type"] = "application/json";
  }
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: "127.0.0.1",
        port: request.port,
        method: request.method ?? "GET",
        path: request.path,
        headers,
        setHost: false,
      },
      resolve,
    );
    outgoing.once("error", reject);
    outgoing.end(body);
  });
}

/** Sends one request and reads the whole answer. */
export async function httpRequest(request: HttpRequest): Promise<HttpAnswer> {
  const response = await send(request);
  let text = "";
  for await (const chunk of response) text += chunk;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.statusCode ?? 0, headers: response.headers, text, json };
}

/** One server-sent event. */
export interface ReceivedEvent {
  readonly event: string;
  readonly data: unknown;
}

/** An open `text/event-stream`, read event by event. */
export interface EventStreamReader {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The next event of type `event` (earlier events of other types are skipped). */
  next(event: string): Promise<ReceivedEvent>;
  /** Resolves when the stream is over (ended or cut). */
  ended(): Promise<void>;
  close(): void;
}

/** Opens an event stream with a GET request. */
export async function openEventStream(request: HttpRequest): Promise<EventStreamReader> {
  const response = await send(request);
  const queue: ReceivedEvent[] = [];
  const waiters: (() => void)[] = [];
  let buffer = "";
  response.setEncoding("utf8");
  response.on("data", (chunk: string) => {
    buffer += chunk;
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split("\n");
      const event = lines.find((line) => line.startsWith("event: "))?.slice(7) ?? "message";
      const data = lines
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice(6))
        .join("\n");
      queue.push({ event, data: JSON.parse(data) });
      end = buffer.indexOf("\n\n");
    }
    for (const wake of waiters.splice(0)) wake();
  });
  const ended = new Promise<void>((resolve) => response.once("close", resolve));
  return {
    status: response.statusCode ?? 0,
    headers: response.headers,
    async next(event) {
      for (;;) {
        const at = queue.findIndex((received) => received.event === event);
        if (at >= 0) return queue.splice(0, at + 1).at(-1)!;
        queue.length = 0;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    ended: () => ended,
    close: () => response.destroy(),
  };
}
