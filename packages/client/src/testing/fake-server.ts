import {
  AckRequestSchema,
  AckResponseSchema,
  ClientFrameSchema,
  ERROR_STATUS,
  type ErrorBody,
  invalidRequest,
  type Op,
  PullQuerySchema,
  PullResponseSchema,
  type PushedOp,
  PushRequestSchema,
  PushResponseSchema,
  reduceOps,
  type ServerFrame,
  ServerFrameSchema,
  type StoredOp,
} from "@syncline/protocol";
import type {
  Credentials,
  PullRequest,
  SocketListener,
  Transport,
  TransportResult,
  TransportSocket,
} from "../transport.js";

/** A scripted answer for the next push. */
export type ScriptedAnswer =
  | "network"
  | { readonly status: number; readonly body: ErrorBody | null };

interface FakeSocket {
  readonly deviceId: string;
  readonly listener: SocketListener;
  open: boolean;
  closed: boolean;
  /** Frames the client sent, validated with `ClientFrameSchema`. */
  readonly received: unknown[];
}

/** Everything crosses the "wire" as JSON, so client and server never share objects. */
function wire<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value));
}

function fail(status: number, body: ErrorBody | null): TransportResult<never> {
  return {
    ok: false,
    failure: { type: "http", status, body, message: body?.message ?? `HTTP ${status}` },
  };
}

const NETWORK: TransportResult<never> = {
  ok: false,
  failure: { type: "network", message: "connection refused" },
};

/**
 * An in-process Syncline server for one user, speaking the protocol's
 * schemas on both sides: requests are parsed as a real server would parse
 * them and answers are validated before the client sees them. It keeps the
 * seed's rules (idempotent `operation_id`, per-device Lamport monotonicity
 * with 409, 410 below the compaction watermark, fan-out to the other
 * devices) and lets a test script failures.
 */
export class FakeServer {
  readonly log: StoredOp[] = [];
  compactedUpTo = 0;
  online = true;
  /** While true, sockets are refused (HTTP still works). */
  refuseSockets = false;
  answerPings = true;
  readonly tokens = new Set(["good-token"]);
  readonly acks = new Map<string, number>();
  /** Every push that reached the server: device and ops. */
  readonly pushes: { deviceId: string; ops: Op[] }[] = [];
  /** Every pull: device and query. */
  readonly pulls: { deviceId: string; since: number; limit: number; resync: boolean }[] = [];
  /** Answers consumed, one per push, before the push is looked at. */
  readonly pushScript: ScriptedAnswer[] = [];
  /** Refuses (422) a batch holding an op for which this returns a message. */
  rejectOp: ((op: Op) => string | undefined) | undefined;
  /** Fails (500 `internal`) every push of a batch holding an op for which this returns true. */
  crashOnOp: ((op: Op) => boolean) | undefined;
  /** When true, the next push is stored but its answer is lost (the client sees a network error). */
  loseNextAnswer = false;
  /** While set, pushes wait for it before answering. */
  gate: Promise<void> | undefined;
  /** Times an op was in two pushes at once (must stay 0). */
  overlappingPushes = 0;
  /** While true, fan-out frames are kept in `heldFrames` instead of sent. */
  holdFrames = false;
  readonly heldFrames: { socket: FakeSocket; frame: ServerFrame }[] = [];
  readonly sockets: FakeSocket[] = [];
  #inFlight = new Set<string>();
  #nextId = 1;

  /** A transport for one client of this server. */
  transport(): Transport {
    return {
      push: (ops, credentials) => this.#push(ops, credentials),
      pull: (query, credentials) => this.#pull(query, credentials),
      ack: (lastSeenId, credentials) => this.#ack(lastSeenId, credentials),
      connect: (since, credentials, listener) => this.#connect(since, credentials, listener),
    };
  }

  /** Sockets (of one device) that are open and not closing. */
  openSockets(deviceId?: string): FakeSocket[] {
    return this.sockets.filter(
      (s) => s.open && !s.closed && (deviceId === undefined || s.deviceId === deviceId),
    );
  }

  /** Sends held fan-out frames. */
  releaseFrames(): void {
    for (const { socket, frame } of this.heldFrames.splice(0)) this.#send(socket, frame);
  }

  /** Sends an `ops` frame with these logged ops to a device's open sockets (e.g. an overlapping backlog). */
  sendOps(deviceId: string, ops: StoredOp[]): void {
    for (const socket of this.openSockets(deviceId)) this.#send(socket, { type: "ops", ops });
  }

  /** Closes every socket from the server side, with a close code when given. */
  dropSockets(code?: number): void {
    for (const socket of this.openSockets()) this.#close(socket, "dropped by the server", code);
  }

  /** Tells every open socket to resync (as after a compaction past its `since`) and closes it. */
  resyncSockets(): void {
    for (const socket of this.openSockets()) {
      this.#send(socket, { type: "resync_required", compacted_up_to: this.compactedUpTo });
      this.#close(socket, "resync required");
    }
  }

  /**
   * Compacts the log below `upTo`: keeps only the ops that still win a
   * field there (superseded upserts and deletes go), and raises the
   * watermark, so a device whose cursor lies below it gets 410.
   */
  compact(upTo: number): void {
    const below = this.log.filter((op) => op.id < upTo);
    const winners = new Set<number>();
    for (const byId of reduceOps(below).values()) {
      for (const entity of byId.values()) for (const f of entity.fields.values()) winners.add(f.id);
    }
    const kept = this.log.filter((op) => op.id >= upTo || winners.has(op.id));
    this.log.splice(0, this.log.length, ...kept);
    this.compactedUpTo = upTo;
  }

  #authorized(credentials: Credentials): boolean {
    return this.tokens.has(credentials.token);
  }

  async #push(ops: readonly Op[], credentials: Credentials) {
    await null;
    if (!this.online) return NETWORK;
    if (!this.#authorized(credentials)) {
      return fail(401, { type: "unauthorized", message: "invalid token" });
    }
    const parsed = PushRequestSchema.safeParse(wire({ ops }));
    if (!parsed.success) return fail(422, invalidRequest(parsed.error, "body"));
    const batch = parsed.data.ops;
    const deviceId = credentials.deviceId;
    this.pushes.push({ deviceId, ops: batch });
    for (const op of batch) {
      if (this.#inFlight.has(op.operation_id)) this.overlappingPushes++;
      this.#inFlight.add(op.operation_id);
    }
    try {
      if (this.gate) await this.gate;
      const scripted = this.pushScript.shift();
      if (scripted === "network") return NETWORK;
      if (scripted) return fail(scripted.status, scripted.body);
      if (batch.some((op) => this.crashOnOp?.(op))) {
        return fail(500, { type: "internal", message: "internal error" });
      }
      for (const op of batch) {
        const message = this.rejectOp?.(op);
        if (message) return fail(422, { type: "invalid_request", message, issues: [] });
      }
      const answer = this.#store(deviceId, batch);
      if (!this.loseNextAnswer) return answer;
      this.loseNextAnswer = false;
      return NETWORK;
    } finally {
      for (const op of batch) this.#inFlight.delete(op.operation_id);
    }
  }

  #store(deviceId: string, batch: Op[]) {
    const mine = this.log.filter((op) => op.device_id === deviceId);
    const storedMax = mine.reduce((max, op) => Math.max(max, op.lamport_ts), 0);
    let max = storedMax;
    const answer: (PushedOp | Op)[] = [];
    for (const op of batch) {
      const existing = mine.find((row) => row.operation_id === op.operation_id);
      if (existing) {
        const same =
          existing.entity_type === op.entity_type &&
          existing.entity_id === op.entity_id &&
          existing.op === op.op &&
          existing.field === op.field &&
          JSON.stringify(existing.value) === JSON.stringify(op.value);
        if (!same) {
          return fail(ERROR_STATUS.operation_id_reused, {
            type: "operation_id_reused",
            message: "operation_id reused with different content",
            operation_id: op.operation_id,
          });
        }
        answer.push({ ...existing, duplicate: true });
        continue;
      }
      if (op.lamport_ts <= max) {
        return fail(ERROR_STATUS.lamport_conflict, {
          type: "lamport_conflict",
          message: `lamport_ts ${op.lamport_ts} is not above ${max}`,
          max_lamport_ts: storedMax,
          operation_id: op.operation_id,
        });
      }
      max = op.lamport_ts;
      answer.push(op);
    }
    const fresh: StoredOp[] = [];
    const rows = answer.map((entry) => {
      if ("duplicate" in entry) return entry;
      const row = {
        ...entry,
        id: this.#nextId++,
        device_id: deviceId,
        wall_clock: new Date().toISOString(),
      } as StoredOp;
      this.log.push(row);
      fresh.push(row);
      return { ...row, duplicate: false };
    });
    if (fresh.length > 0) {
      for (const socket of this.openSockets()) {
        if (socket.deviceId === deviceId) continue;
        const frame: ServerFrame = { type: "ops", ops: fresh };
        if (this.holdFrames) this.heldFrames.push({ socket, frame });
        else this.#send(socket, frame);
      }
    }
    return { ok: true as const, value: PushResponseSchema.parse(wire({ ops: rows })) };
  }

  async #pull(query: PullRequest, credentials: Credentials) {
    await null;
    if (!this.online) return NETWORK;
    if (!this.#authorized(credentials)) {
      return fail(401, { type: "unauthorized", message: "invalid token" });
    }
    const parsed = PullQuerySchema.safeParse({
      since: String(query.since),
      limit: String(query.limit),
      resync: String(query.resync),
    });
    if (!parsed.success) return fail(400, invalidRequest(parsed.error, "query"));
    const { since, limit, resync } = parsed.data;
    this.pulls.push({ deviceId: credentials.deviceId, since, limit, resync });
    if (since > 0 && since < this.compactedUpTo && !resync) {
      return fail(410, {
        type: "resync_required",
        message: "since lies in a compacted range",
        compacted_up_to: this.compactedUpTo,
      });
    }
    const after = this.log.filter((op) => op.id > since);
    const page = after.slice(0, limit);
    return {
      ok: true as const,
      value: PullResponseSchema.parse(wire({ ops: page, has_more: after.length > limit })),
    };
  }

  async #ack(lastSeenId: number, credentials: Credentials) {
    await null;
    if (!this.online) return NETWORK;
    if (!this.#authorized(credentials)) {
      return fail(401, { type: "unauthorized", message: "invalid token" });
    }
    const { last_seen_id } = AckRequestSchema.parse(wire({ last_seen_id: lastSeenId }));
    this.acks.set(credentials.deviceId, last_seen_id);
    return { ok: true as const, value: AckResponseSchema.parse({ last_seen_id }) };
  }

  #connect(since: number, credentials: Credentials, listener: SocketListener): TransportSocket {
    const socket: FakeSocket = {
      deviceId: credentials.deviceId,
      listener,
      open: false,
      closed: false,
      received: [],
    };
    this.sockets.push(socket);
    queueMicrotask(() => {
      if (socket.closed) return;
      if (!this.online || this.refuseSockets || !this.#authorized(credentials)) {
        return this.#close(socket, "connection refused");
      }
      socket.open = true;
      listener.open();
      if (since > 0 && since < this.compactedUpTo) {
        this.#send(socket, { type: "resync_required", compacted_up_to: this.compactedUpTo });
        return this.#close(socket, "resync required");
      }
      const backlog = this.log.filter((op) => op.id > since);
      if (backlog.length > 0) this.#send(socket, { type: "ops", ops: backlog });
    });
    return {
      send: (frame) => {
        if (!socket.open || socket.closed) return;
        const parsed = ClientFrameSchema.parse(wire(frame));
        socket.received.push(parsed);
        if ("ack" in parsed) this.acks.set(socket.deviceId, parsed.ack);
        else if (this.answerPings) this.#send(socket, { type: "pong" });
      },
      close: () => this.#close(socket, "closed by the client"),
    };
  }

  #send(socket: FakeSocket, frame: ServerFrame): void {
    const parsed = ServerFrameSchema.parse(wire(frame));
    queueMicrotask(() => {
      if (socket.open) socket.listener.frame(parsed);
    });
  }

  /** Closes after the frames already sent are delivered. */
  #close(socket: FakeSocket, reason: string, code?: number): void {
    if (socket.closed) return;
    socket.closed = true;
    queueMicrotask(() => {
      socket.open = false;
      socket.listener.close(reason, code);
    });
  }
}
