import type { SocketListener, Transport, TransportResult, TransportSocket } from "@syncline/client";
import { type ErrorBody, ErrorBodySchema, type Op, type ServerFrame } from "@syncline/protocol";

/** An HTTP error answer that a fault gives in place of the server's. */
export interface FaultAnswer {
  readonly status: number;
  /** A Syncline error body, or null for an answer without one (a proxy, R39). */
  readonly body: ErrorBody | null;
}

/**
 * What becomes of one push:
 * - `"dropped"`: it never reaches the server; the client sees a network error.
 * - `"lost"`: the server handles it (and commits), but the answer is lost on
 *   the way back: the client sees a network error.
 * - a {@link FaultAnswer}: the client gets that answer; the server never sees the push.
 */
export type PushFault = "dropped" | "lost" | FaultAnswer;

/** The requests {@link TransportFaults.hold} can hold back; `"socket"` is the WebSocket handshake. */
export type HeldRequest = "push" | "pull" | "snapshot" | "ack" | "socket";

/** Code the client gets for a socket refused or cut by a fault, as for a dead connection (RFC 6455). */
const ABNORMAL_CLOSURE = 1006;

const NETWORK_FAILURE: TransportResult<never> = {
  ok: false,
  failure: { type: "network", message: "fetch failed (in-process network fault)" },
};

/** The failure the HTTP transport makes of an answer: the body only if it is a Syncline error body. */
function answered(answer: FaultAnswer): TransportResult<never> {
  const parsed = ErrorBodySchema.safeParse(answer.body);
  const body = parsed.success ? parsed.data : null;
  const message = body?.message ?? `HTTP ${answer.status}`;
  return { ok: false, failure: { type: "http", status: answer.status, body, message } };
}

interface Gate {
  readonly passed: Promise<void>;
  readonly open: () => void;
}

/** A socket through the faults, until it is closed. */
interface FaultySocket {
  readonly listener: SocketListener;
  inner: TransportSocket | undefined;
  /** The listener heard its close; nothing more reaches it. */
  done: boolean;
}

/**
 * Faults between clients and a server, set by a test while it runs: wrap
 * each client's transport with {@link TransportFaults.wrap}, then turn the
 * knobs. One instance can wrap many transports; its knobs act on all of them.
 * @example
 * const faults = new TransportFaults();
 * const transport = faults.wrap(server.transport());
 * faults.nextPushes.push("lost"); // the next push is stored, its answer lost
 */
export class TransportFaults {
  /** While true, every request fails as a network error and every new socket is refused; open sockets stay (see {@link cutSockets}). */
  offline = false;
  /** While true, new sockets are refused; HTTP still works. */
  refuseSockets = false;
  /** While set, every request gets this answer and every new socket is refused: the server is down. */
  outage: FaultAnswer | undefined;
  /** What becomes of the next pushes, one entry consumed per push, in order. */
  readonly nextPushes: PushFault[] = [];
  /** Answers every push whose batch it returns an answer for (e.g. a batch holding an op the server keeps failing on). */
  answerPush: ((ops: readonly Op[]) => FaultAnswer | undefined) | undefined;
  /** While true, `ops` frames (backlog and live) wait on the way to the client, until {@link releaseFrames}. */
  holdOpsFrames = false;
  /** While true, `pong` frames wait on the way to the client: the server seems to stop answering pings. */
  holdPongs = false;
  readonly #gates = new Map<HeldRequest, Gate>();
  readonly #sockets = new Set<FaultySocket>();
  readonly #heldFrames: { readonly socket: FaultySocket; readonly frame: ServerFrame }[] = [];

  /**
   * Holds every request of this kind before it reaches the server (a push,
   * say, that the server is slow to take) until the returned function is
   * called; then all of them go on, and later ones pass freely.
   */
  hold(kind: HeldRequest): () => void {
    const existing = this.#gates.get(kind);
    if (existing) return existing.open;
    let resolve!: () => void;
    const passed = new Promise<void>((done) => {
      resolve = done;
    });
    const gate: Gate = {
      passed,
      open: () => {
        if (this.#gates.get(kind) === gate) this.#gates.delete(kind);
        resolve();
      },
    };
    this.#gates.set(kind, gate);
    return gate.open;
  }

  /** Delivers the held frames, in order, to the sockets still open; frames keep being held while the hold flags stay set. */
  releaseFrames(): void {
    for (const { socket, frame } of this.#heldFrames.splice(0)) {
      queueMicrotask(() => {
        if (!socket.done) socket.listener.frame(frame);
      });
    }
  }

  /**
   * Cuts every open socket as a lost connection would: the client hears its
   * socket close with 1006, and the server's socket closes.
   */
  cutSockets(): void {
    for (const socket of this.#sockets)
      this.#end(socket, "connection lost (in-process network fault)");
  }

  /** The transport `inner` with these faults on the way. */
  wrap(inner: Transport): Transport {
    return {
      push: async (ops, credentials) => {
        const refused = await this.#refused("push");
        if (refused) return refused;
        const fault = this.nextPushes.shift();
        if (fault === "dropped") return NETWORK_FAILURE;
        if (fault !== undefined && fault !== "lost") return answered(fault);
        const answer = this.answerPush?.(ops);
        if (answer) return answered(answer);
        const result = await inner.push(ops, credentials);
        return fault === "lost" ? NETWORK_FAILURE : result;
      },
      pull: async (query, credentials) =>
        (await this.#refused("pull")) ?? inner.pull(query, credentials),
      snapshot: async (query, credentials) =>
        (await this.#refused("snapshot")) ?? inner.snapshot(query, credentials),
      ack: async (lastSeenId, credentials) =>
        (await this.#refused("ack")) ?? inner.ack(lastSeenId, credentials),
      connect: (since, credentials, listener) => {
        const socket: FaultySocket = { listener, inner: undefined, done: false };
        this.#sockets.add(socket);
        void (async () => {
          await this.#gates.get("socket")?.passed;
          if (socket.done) return;
          if (this.offline || this.refuseSockets || this.outage) {
            return this.#end(socket, "connection refused (in-process network fault)");
          }
          socket.inner = inner.connect(since, credentials, this.#listenerOf(socket));
        })();
        return {
          send: (frame) => {
            if (!socket.done) socket.inner?.send(frame);
          },
          close: () => {
            if (socket.inner) return socket.inner.close();
            // Not handed to the server yet (held): it ends here.
            this.#end(socket, "closed by the client", undefined);
          },
        };
      },
    };
  }

  /** Waits at the request's gate, then fails it if the network is off or the server down. */
  async #refused(kind: HeldRequest): Promise<TransportResult<never> | undefined> {
    await this.#gates.get(kind)?.passed;
    if (this.offline) return NETWORK_FAILURE;
    return this.outage ? answered(this.outage) : undefined;
  }

  #listenerOf(socket: FaultySocket): SocketListener {
    return {
      open: () => {
        if (!socket.done) socket.listener.open();
      },
      frame: (frame) => {
        if (socket.done) return;
        const held =
          (frame.type === "ops" && this.holdOpsFrames) || (frame.type === "pong" && this.holdPongs);
        if (held) this.#heldFrames.push({ socket, frame });
        else socket.listener.frame(frame);
      },
      close: (reason, code) => {
        if (socket.done) return;
        socket.done = true;
        this.#sockets.delete(socket);
        socket.listener.close(reason, code);
      },
    };
  }

  /** Ends a socket on the client's side now (closing what reached the server) and tells its listener, later. */
  #end(socket: FaultySocket, reason: string, code: number | undefined = ABNORMAL_CLOSURE): void {
    if (socket.done) return;
    socket.done = true;
    this.#sockets.delete(socket);
    socket.inner?.close();
    queueMicrotask(() => socket.listener.close(reason, code));
  }
}
