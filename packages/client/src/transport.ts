import {
  type AckResponse,
  type ClientFrame,
  type ErrorBody,
  type ErrorRecovery,
  type ErrorType,
  type Op,
  type PullResponse,
  type PushResponse,
  recoveryFor,
  type ServerFrame,
  type SnapshotResponse,
} from "@syncline/protocol";

/** One pull page to ask for. */
export interface PullRequest {
  readonly since: number;
  readonly limit: number;
  readonly resync: boolean;
}

/** One snapshot page to ask for (`GET /sync/snapshot`). */
export interface SnapshotRequest {
  /** Most fields in the page, 1..`MAX_SNAPSHOT_LIMIT`. */
  readonly limit: number;
  /** Only entities of this type; all types when absent. */
  readonly entityType?: string;
  /** The `next_cursor` of the previous page; absent on the first page. */
  readonly cursor?: string;
}

/** Who is calling: the bearer token and the device id. */
export interface Credentials {
  /** JWT sent as `Authorization: Bearer <token>` (or `access_token` on the WebSocket). */
  readonly token: string;
  /** This device's id, sent as `X-Device-Id` (or `device_id` on the WebSocket). */
  readonly deviceId: string;
}

/** Why a request failed, as a value. */
export type TransportFailure =
  /** No answer: the connection failed or timed out. */
  | { readonly type: "network"; readonly message: string }
  /** An error status; `body` is the Syncline error body, or null when the answer had none. */
  | {
      readonly type: "http";
      readonly status: number;
      readonly body: ErrorBody | null;
      readonly message: string;
    }
  /** A success status whose body broke the protocol's schema. */
  | { readonly type: "protocol"; readonly message: string };

/** The outcome of a request: its parsed answer or why it failed. Transports never throw. */
export type TransportResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly failure: TransportFailure };

/** Receives the events of one socket. Transports call these asynchronously, never from `connect`. */
export interface SocketListener {
  /** The socket is open; frames may be sent. */
  open(): void;
  /** A frame arrived (already validated with the protocol's `ServerFrameSchema`). */
  frame(frame: ServerFrame): void;
  /**
   * The socket closed or could not open; called once, and nothing follows it.
   * @param code the WebSocket close code, when the server closed it (R35)
   */
  close(reason: string, code?: number): void;
}

/** One live connection to `GET /sync/ws`. */
export interface TransportSocket {
  /** Sends a client frame; ignored unless the socket is open. */
  send(frame: ClientFrame): void;
  /** Closes the socket; the listener's `close` follows. */
  close(): void;
}

/**
 * How the client reaches a Syncline server: the HTTP endpoints and the
 * WebSocket of the protocol. {@link createHttpTransport} is the real one.
 */
export interface Transport {
  /** `POST /sync/ops` with `{ ops }`. */
  push(ops: readonly Op[], credentials: Credentials): Promise<TransportResult<PushResponse>>;
  /**
   * `GET /sync/ops?since&limit[&resync=true]`; `resync` marks a page that
   * continues a pull begun at `since=0`, which the watermark guard lets through.
   */
  pull(query: PullRequest, credentials: Credentials): Promise<TransportResult<PullResponse>>;
  /**
   * `GET /sync/snapshot?limit[&entity_type][&cursor]`: a page of the user's
   * current state, each field with the id of the op that wrote it. A server
   * older than the route answers 404 (`not_found`, or no Syncline body).
   */
  snapshot(
    query: SnapshotRequest,
    credentials: Credentials,
  ): Promise<TransportResult<SnapshotResponse>>;
  /** `POST /sync/ack` with `{ last_seen_id }`. */
  ack(lastSeenId: number, credentials: Credentials): Promise<TransportResult<AckResponse>>;
  /** Opens `GET /sync/ws?since=N`: the server streams ops after `since`, then live ops. */
  connect(since: number, credentials: Credentials, listener: SocketListener): TransportSocket;
}

/** What the client does about a failure: the protocol's recovery for HTTP errors, else retry. */
export function recoveryOf(failure: TransportFailure): ErrorRecovery {
  return failure.type === "http" ? recoveryFor(failure.status, failure.body?.type) : "retry";
}

/**
 * Whether a failure says the server has no such route: 404 with a
 * `not_found` body, or with none. A server older than a route answers so
 * (R11), e.g. for `GET /sync/snapshot`.
 */
export function isMissingRoute(failure: TransportFailure): boolean {
  return (
    failure.type === "http" &&
    failure.status === 404 &&
    (failure.body === null || failure.body.type === "not_found")
  );
}

/** A failure the client surfaces in its status or on a failed op. */
export interface SyncIssue {
  /**
   * `auth_required` (the token was refused: call `setAuth`), `network`,
   * `protocol` (the server's answer broke the schema), `http` (an error
   * status without a Syncline body), `local` (the store or the app's
   * `onApply` hook threw while applying server ops), or the server's error
   * `type`.
   */
  readonly type: "auth_required" | "network" | "protocol" | "http" | "local" | ErrorType;
  /** Human-readable reason (the server's message when it sent one). */
  readonly message: string;
  /** HTTP status, when there was one. */
  readonly status?: number;
}

/** The {@link SyncIssue} a failed request surfaces. */
export function issueOf(failure: TransportFailure): SyncIssue {
  if (failure.type !== "http") return { type: failure.type, message: failure.message };
  const type = recoveryOf(failure) === "reauthenticate" ? "auth_required" : failure.body?.type;
  return { type: type ?? "http", message: failure.message, status: failure.status };
}

/**
 * What a `refreshToken` hook throws when the token's issuer cannot be reached
 * (offline, a 5xx): the refused request then counts as a network failure and
 * is retried with backoff, instead of the client stopping in `error` (C10).
 * Any other error from the hook means the credentials are no longer good.
 */
export class RefreshUnavailableError extends Error {
  override readonly name = "RefreshUnavailableError";
}
