import {
  CLOSE_CODE,
  ClientFrameSchema,
  MAX_CLIENT_FRAME_BYTES,
  PING_BURST,
  PING_REFILL_MS,
  type PongFrame,
  PullQuerySchema,
  type ResyncRequiredFrame,
  type Scheduler,
  SINCE_PARAM,
  SyncError,
} from "@syncline/protocol";
import {
  type AckBuffer,
  type Hub,
  type HubSocket,
  recordAck,
  type SyncLogger,
  type SyncStore,
} from "@syncline/server-core";
import type { Context, MiddlewareHandler } from "hono";
import type { UpgradeWebSocket, WSContext } from "hono/ws";
import { invalidRequestError } from "../errors.js";
import type { SyncEnv } from "./context.js";

const OPEN = 1;

function hubSocket(ws: WSContext, userId: string, deviceId: string): HubSocket {
  return {
    userId,
    deviceId,
    send(data) {
      if (ws.readyState === OPEN) ws.send(data);
    },
    close(code, reason) {
      ws.close(code, reason);
    },
    bufferedAmount() {
      const raw = ws.raw as { bufferedAmount?: unknown } | undefined;
      return typeof raw?.bufferedAmount === "number" ? raw.bufferedAmount : 0;
    },
  };
}

/**
 * Allows {@link PING_BURST} pings at once, refilled one per
 * {@link PING_REFILL_MS} (a token bucket).
 * @returns a function that says whether one more ping is allowed now
 */
function pingAllowance(scheduler: Scheduler): () => boolean {
  let tokens = PING_BURST;
  let refilledAt = scheduler.now();
  return () => {
    const time = scheduler.now();
    tokens = Math.min(PING_BURST, tokens + (time - refilledAt) / PING_REFILL_MS);
    refilledAt = time;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

/**
 * Handshake checks answered as plain HTTP before the upgrade: a request that
 * is not a WebSocket upgrade, or a bad `since`, gets 400 `invalid_request`.
 */
export const wsHandshake: MiddlewareHandler<SyncEnv> = async (c, next) => {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new SyncError(
      { type: "invalid_request", message: "expected a WebSocket upgrade", issues: [] },
      400,
    );
  }
  const since = c.req.query(SINCE_PARAM);
  if (since !== undefined) {
    const parsed = PullQuerySchema.pick({ since: true }).safeParse({ since });
    if (!parsed.success) throw invalidRequestError(parsed.error, "query", 400);
  }
  await next();
};

/** Dependencies of {@link wsRoute}. */
export interface WsRouteDeps {
  store: SyncStore;
  hub: Hub;
  acks: AckBuffer;
  logger: SyncLogger;
  /** Time source of token expiry and the ping allowance. */
  scheduler: Scheduler;
}

function sendResync(socket: HubSocket, compactedUpTo: number): void {
  const frame: ResyncRequiredFrame = { type: "resync_required", compacted_up_to: compactedUpTo };
  socket.send(JSON.stringify(frame));
  socket.close(CLOSE_CODE.resyncRequired, "resync required");
}

/**
 * `GET /sync/ws`: with `?since=N`, checks the watermark (a `resync_required`
 * frame and close when the range was compacted), streams the backlog, then
 * live ops. Accepts `{ "ack": N }` and `{ "type": "ping" }`.
 */
export function wsRoute(upgradeWebSocket: UpgradeWebSocket, deps: WsRouteDeps) {
  const { store, hub, acks, logger, scheduler } = deps;
  return upgradeWebSocket((c: Context<SyncEnv>) => {
    const { userId, deviceId, expiresAt } = c.var.auth;
    const sinceText = c.req.query(SINCE_PARAM);
    const since = sinceText === undefined ? undefined : Number(sinceText);
    let leave: (() => void) | undefined;
    let cancelExpiry: (() => void) | undefined;
    let closed = false;
    const mayPing = pingAllowance(scheduler);
    let socket: HubSocket | undefined;

    const open = async (socket: HubSocket) => {
      if (since !== undefined && since > 0) {
        const watermark = await store.compactedUpTo(userId);
        if (since < watermark) return sendResync(socket, watermark);
      }
      try {
        const left = await hub.connect(socket, since);
        if (closed) left();
        else leave = left;
      } catch (error) {
        // A compaction moved the watermark past the socket while its backlog streamed.
        if (error instanceof SyncError && error.body.type === "resync_required") {
          return sendResync(socket, error.body.compacted_up_to);
        }
        throw error;
      }
    };

    return {
      onOpen(_event, ws) {
        const opened = hubSocket(ws, userId, deviceId);
        socket = opened;
        if (expiresAt) {
          cancelExpiry = scheduler.schedule(
            expiresAt.getTime() - scheduler.now(),
            () => opened.close(CLOSE_CODE.tokenExpired, "token expired"),
            { keepAlive: false },
          );
        }
        open(opened).catch((error: unknown) => {
          logger.error({ err: error, userId, deviceId }, "socket open failed");
          opened.close(CLOSE_CODE.serverError, "server error; reconnect");
        });
      },
      onMessage(event, ws) {
        // R34: client frames are tiny; the runtime should cap them too (ws `maxPayload`).
        const size = typeof event.data === "string" ? event.data.length : 0;
        if (size > MAX_CLIENT_FRAME_BYTES) {
          ws.close(CLOSE_CODE.messageTooBig, `frames are at most ${MAX_CLIENT_FRAME_BYTES} bytes`);
          return;
        }
        let frame: unknown;
        try {
          frame = typeof event.data === "string" ? JSON.parse(event.data) : undefined;
        } catch {
          frame = undefined;
        }
        const parsed = ClientFrameSchema.safeParse(frame);
        if (!parsed.success) {
          ws.close(CLOSE_CODE.policyViolation, 'expected { "ack": N } or { "type": "ping" }');
          return;
        }
        if ("type" in parsed.data) {
          if (!mayPing()) {
            ws.close(CLOSE_CODE.policyViolation, "too many pings");
            return;
          }
          const pong: PongFrame = { type: "pong" };
          // A client that pings without reading the pongs is a slow consumer too (R33).
          if (socket) hub.send(socket, JSON.stringify(pong));
          return;
        }
        recordAck(store, acks, userId, deviceId, parsed.data.ack).catch((error: unknown) => {
          if (error instanceof SyncError) {
            ws.close(CLOSE_CODE.policyViolation, "ack above the highest op id");
          } else {
            logger.error({ err: error, userId, deviceId }, "socket ACK failed");
          }
        });
      },
      onClose() {
        closed = true;
        cancelExpiry?.();
        leave?.();
        void acks.flushDevice(userId, deviceId);
      },
    };
  });
}
