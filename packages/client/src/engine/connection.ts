import { closeRecovery, type ServerFrame } from "@syncline/protocol";
import type { TransportSocket } from "../transport.js";
import type { EngineContext } from "./context.js";
import { HEARTBEAT_TIMED_OUT, Heartbeat } from "./heartbeat.js";
import { RetryCounter } from "./retry.js";

/**
 * The link to the server (SPEC.md, "Link states"):
 * - `down`: no socket; a reconnect may be scheduled.
 * - `connecting`: catching up by pull, no answer yet.
 * - `syncing`: the server answered; still catching up, or the socket is opening.
 * - `open`: the socket is open and delivers live ops.
 * Each attempt has a number; events of an older attempt are ignored.
 */
export type Link =
  | { readonly kind: "down" }
  | { readonly kind: "connecting"; readonly attempt: number }
  | { readonly kind: "syncing"; readonly attempt: number }
  | { readonly kind: "open"; readonly attempt: number };

/**
 * The connection part: the link as an explicit state machine with one method
 * per transition, the catch-up before each socket, the reconnect backoff and
 * the heartbeat.
 */
export class Connection<Db> {
  readonly #ctx: EngineContext<Db>;
  readonly #reconnects: RetryCounter;
  readonly #heartbeat: Heartbeat;
  #link: Link = { kind: "down" };
  #attempts = 0;
  #socket: TransportSocket | undefined;

  constructor(ctx: EngineContext<Db>) {
    this.#ctx = ctx;
    this.#reconnects = new RetryCounter(ctx.options.backoff ?? {}, ctx.random);
    this.#heartbeat = new Heartbeat(
      ctx.timers,
      ctx.options,
      () => this.#socket?.send({ type: "ping" }),
      () => {
        this.drop();
        ctx.fail({ type: "network", message: HEARTBEAT_TIMED_OUT });
      },
    );
  }

  /** The link now. */
  get link(): Link {
    return this.#link;
  }

  /** Whether there is no link (nor an attempt at one). */
  get isDown(): boolean {
    return this.#link.kind === "down";
  }

  /** Whether `attempt` is the current link's. */
  isCurrent(attempt: number): boolean {
    return this.#link.kind !== "down" && this.#link.attempt === attempt;
  }

  /**
   * down → connecting: catch up by pull, then open the socket from the
   * cursor; on failure, back to down with a reconnect after the backoff.
   * @returns whether it caught up, or undefined when a link exists or requests may not go out
   */
  connect(): Promise<boolean> | undefined {
    const ctx = this.#ctx;
    if (!ctx.canSync() || this.#link.kind !== "down") return undefined;
    ctx.timers.clear("reconnect");
    const attempt = ++this.#attempts;
    this.#link = { kind: "connecting", attempt };
    ctx.refreshStatus();
    return ctx.inbound.catchUp().then(
      (caughtUp) => this.#openSocket(attempt, caughtUp),
      (error) => {
        ctx.localFailure(error);
        return this.#openSocket(attempt, false);
      },
    );
  }

  /** connecting → syncing: the server answered a request of this attempt. */
  answered(): void {
    if (this.#link.kind === "connecting") this.#link = { ...this.#link, kind: "syncing" };
  }

  /** Sends a client frame over the open socket. @returns whether there was a socket to send on */
  send(frame: Parameters<TransportSocket["send"]>[0]): boolean {
    if (!this.#socket) return false;
    this.#socket.send(frame);
    return true;
  }

  /** any → down: forgets the current socket (closing it); its late events are ignored. */
  disconnect(): void {
    this.#attempts++;
    this.#socket?.close();
    this.#socket = undefined;
    this.#link = { kind: "down" };
    this.#heartbeat.stop();
  }

  /** any → down, then a reconnect after the backoff. */
  drop(): void {
    this.disconnect();
    this.#scheduleReconnect();
  }

  /** syncing → open, or → down with a reconnect when the catch-up failed. */
  #openSocket(attempt: number, caughtUp: boolean): boolean {
    const ctx = this.#ctx;
    if (!this.isCurrent(attempt)) return caughtUp;
    if (!caughtUp) {
      this.#link = { kind: "down" };
      this.#scheduleReconnect();
      ctx.refreshStatus();
      return false;
    }
    this.#socket = ctx.transport.connect(ctx.inbound.cursor(), ctx.requests.credentials(), {
      open: () => {
        if (!this.isCurrent(attempt)) return;
        this.#link = { kind: "open", attempt };
        this.#heartbeat.start();
        ctx.acks.schedule();
        ctx.refreshStatus();
        void ctx.pusher.drain();
      },
      frame: (frame) => {
        if (this.isCurrent(attempt)) this.#onFrame(attempt, frame);
      },
      close: (reason, code) => {
        if (!this.isCurrent(attempt)) return;
        this.disconnect();
        const recovery = closeRecovery(code);
        if (recovery === "stop") {
          // R35: the server refused a frame of ours; reconnecting would loop.
          ctx.fail({ type: "protocol", message: reason });
          return;
        }
        if (recovery === "reauthenticate") {
          // The token expired (R8): a fresh one, then at once a new socket (C10).
          void ctx.requests.reauthenticate().then((outcome) => {
            if (outcome === "refreshed") void this.connect();
            else if (outcome === "unavailable") this.#scheduleReconnect();
          });
          return;
        }
        this.#scheduleReconnect();
        ctx.fail({ type: "network", message: reason });
      },
    });
    return true;
  }

  #scheduleReconnect(): void {
    if (!this.#ctx.canSync()) return;
    this.#ctx.timers.set("reconnect", this.#reconnects.nextDelay(), () => {
      void this.connect();
    });
  }

  #onFrame(attempt: number, frame: ServerFrame): void {
    const ctx = this.#ctx;
    this.#heartbeat.heard();
    if (frame.type === "resync_required") {
      // Reconnect through a reset (C13), with backoff: a server that keeps
      // asking must not get a tight loop.
      ctx.inbound.needsReset = true;
      this.drop();
      ctx.refreshStatus();
      return;
    }
    // Only a socket that delivers is healthy enough to reset the reconnect backoff.
    this.#reconnects.reset();
    if (frame.type === "ops") ctx.inbound.applyFrame(attempt, frame.ops);
  }
}
