import { createHttpTransport, type HttpTransportOptions, type Transport } from "@syncline/client";
import { createSyncRoutes, type SyncEnv, syncNotFound } from "@syncline/hono";
import { MAX_PULL_LIMIT, type Scheduler, type StoredOp } from "@syncline/protocol";
import {
  AckBuffer,
  Hub,
  MemorySyncStore,
  type SyncStore,
  type UserCompaction,
} from "@syncline/server-core";
import { Hono } from "hono";
import { trackInFlight } from "./in-flight-work.js";
import { createInProcessWebSocket, type FetchHandler } from "./in-process-websocket.js";
import { ManualScheduler } from "./manual-scheduler.js";
import { TokenIssuer, type TokenOptions } from "./token-issuer.js";

/** Options of {@link startInProcessServer}. */
export interface InProcessServerOptions<S extends Scheduler> {
  /**
   * Time source of the routes, the hub, the ACK buffer and the store (token
   * expiry on sockets, the ping allowance, `wall_clock`, ACK times).
   * @default a new ManualScheduler
   */
  readonly scheduler?: S;
  /** The user of tokens that name none. @default a random UUID */
  readonly userId?: string;
  /**
   * The op log: pass the one a previous instance used to restart the server
   * on it (its hub and unflushed ACKs are lost, the log is not), or another
   * `SyncStore` (e.g. `PgSyncStore`).
   * @default a new MemorySyncStore on the scheduler
   */
  readonly store?: SyncStore;
  /** The signing key: pass a previous instance's so its tokens stay valid across a restart. @default a new key */
  readonly tokens?: TokenIssuer;
  /**
   * Paths answered 404 `not_found` whatever the method, as by a server
   * released before their routes (e.g. `[SNAPSHOT_PATH]`, for a client's
   * fallback). `app` itself still serves them.
   * @default none
   */
  readonly missingPaths?: readonly string[];
}

/** Options of {@link InProcessServer.compact}. */
export interface InProcessCompactOptions {
  /** @default the server's user */
  readonly userId?: string;
  /** Devices whose last ACK is older than this are stale (R57). @default 90 days */
  readonly staleAfterMs?: number;
}

/** The real sync routes over an in-memory store, reached without a network. */
export interface InProcessServer<S extends Scheduler = ManualScheduler> {
  /** `createSyncRoutes(...)`: the app every request and handshake goes to. */
  readonly app: Hono<SyncEnv>;
  /** The routes' store: read the log, seed ops as another install would, compact. */
  readonly store: SyncStore;
  /** The signing key of the tokens this server accepts. */
  readonly tokens: TokenIssuer;
  /** The routes' fan-out hub; `hub.closeAll(code)` closes every socket from the server side. */
  readonly hub: Hub;
  /**
   * The routes' ACK buffer. Its periodic flush is not started, so the
   * scheduler holds no server timer of its own: ACKs reach the store when
   * their socket closes (R36) or on `acks.flush()`, and
   * {@link InProcessServer.compact} counts the unflushed ones (R56).
   */
  readonly acks: AckBuffer;
  /** The server's time source; give it to the clients too, so one `advance` moves both sides. */
  readonly scheduler: S;
  /** The user of tokens that name none. */
  readonly userId: string;
  /**
   * The real HTTP transport, with `fetch` calling `app.fetch` and a
   * WebSocket class whose handshakes go to `app` too.
   */
  transport(options?: Pick<HttpTransportOptions, "timeoutMs">): Transport;
  /** A token the routes accept (or, with `expiresInSeconds` ≤ -6, refuse as expired). */
  token(options?: TokenOptions): string;
  /** Sockets whose server side is open or closing: the routes' `onClose` has not run for them yet. */
  openSockets(): number;
  /** Moves to a new signing key: every token issued before is refused with 401 from now on. */
  rotateSigningKey(): void;
  /** The user's whole log as the store holds it now, ascending by id. */
  log(userId?: string): Promise<StoredOp[]>;
  /** The device's cursor as the server counts it: stored or still buffered, the higher (R26). */
  cursor(deviceId: string, userId?: string): Promise<number>;
  /**
   * Compacts the user now (scheduler time), counting the unflushed ACKs (R56,
   * R57): the watermark moves to the lowest cursor of the devices that ACKed
   * within the stale window.
   * @returns what changed, or `undefined` when the user was left alone (R58)
   */
  compact(options?: InProcessCompactOptions): Promise<UserCompaction | undefined>;
}

const URL_ROOT = "http://in-process";

/**
 * Starts the real server side — `createSyncRoutes` with `jwtAuth` over a
 * local Ed25519 key, a `MemorySyncStore`, the real `Hub` and `AckBuffer` —
 * in this process. HTTP requests go straight to `app.fetch` and sockets
 * through an in-process WebSocket, so no port is opened and no test sleeps.
 * Requests (handshakes included) are handled one at a time, in the order they
 * arrive, and `settle()` waits for the one in flight, so runs repeat exactly.
 * @example
 * const server = startInProcessServer();
 * const client = createSyncClient({ store, transport: server.transport(), token: server.token(), scheduler: server.scheduler });
 */
export function startInProcessServer<S extends Scheduler = ManualScheduler>(
  options: InProcessServerOptions<S> = {},
): InProcessServer<S> {
  const scheduler = options.scheduler ?? (new ManualScheduler() as Scheduler as S);
  const tokens = options.tokens ?? new TokenIssuer(options.userId, () => scheduler.now());
  const store = options.store ?? new MemorySyncStore({ scheduler });
  const hub = new Hub({ store, scheduler });
  const acks = new AckBuffer({ store, scheduler });
  // R19: pushes committed through any server on this store (another
  // instance, or one before a restart) reach this server's sockets too.
  void store.onPush((notice) => hub.notify(notice.user_id, notice.max_id));
  const sockets = createInProcessWebSocket();
  const app = createSyncRoutes({
    store,
    auth: tokens.authenticate,
    upgradeWebSocket: sockets.upgradeWebSocket,
    hub,
    acks,
    scheduler,
  });
  const missingPaths = new Set(options.missingPaths);
  const olderServer = new Hono().all("*", syncNotFound);
  // One request at a time, in the order they arrive: their JWT checks finish on the
  // crypto thread pool in any order, their answers come back in this one.
  let queue: Promise<unknown> = Promise.resolve();
  const handler: FetchHandler = {
    fetch(request, env) {
      const routes = missingPaths.has(new URL(request.url).pathname) ? olderServer : app;
      const answer = queue.then(() => routes.fetch(request, env));
      queue = answer.catch(() => undefined);
      return trackInFlight(answer);
    },
  };
  const WebSocket = sockets.clientFor(handler);
  const fetchApp: typeof fetch = async (input, init) => handler.fetch(new Request(input, init));
  const { userId } = tokens;

  return {
    app,
    store,
    tokens,
    hub,
    acks,
    scheduler,
    userId,
    transport: (transportOptions = {}) =>
      createHttpTransport({ ...transportOptions, url: URL_ROOT, fetch: fetchApp, WebSocket }),
    token: (tokenOptions) => tokens.issue(tokenOptions),
    openSockets: () => sockets.openServerSockets(),
    rotateSigningKey: () => tokens.rotate(),
    async log(user = userId) {
      const ops: StoredOp[] = [];
      for (let since = 0; ; ) {
        const page = await store.pull(user, { since, limit: MAX_PULL_LIMIT, resync: true });
        ops.push(...page.ops);
        if (!page.has_more) return ops;
        since = page.ops.at(-1)!.id;
      }
    },
    async cursor(deviceId, user = userId) {
      const stored = await store.cursor(user, deviceId);
      return Math.max(stored, acks.get(user, deviceId)?.lastSeenId ?? 0);
    },
    compact: (compactOptions = {}) =>
      store.compactUser(compactOptions.userId ?? userId, {
        now: new Date(scheduler.now()),
        pendingAcks: acks.pending(),
        ...(compactOptions.staleAfterMs === undefined
          ? {}
          : { staleAfterMs: compactOptions.staleAfterMs }),
      }),
  };
}
