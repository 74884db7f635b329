import type { Timers } from "./timers.js";

/** How often a socket pings, and how long it waits for a frame after a ping. */
export interface HeartbeatOptions {
  /** Send a ping this often while the socket is open. @default 25_000 */
  readonly heartbeatIntervalMs?: number | undefined;
  /** Give up on the socket when nothing arrives this long after a ping. @default 10_000 */
  readonly heartbeatTimeoutMs?: number | undefined;
}

/** The reason a socket is given up on by its {@link Heartbeat}. */
export const HEARTBEAT_TIMED_OUT = "heartbeat timed out: no frame after a ping";

/**
 * The heartbeat of one open socket on named timers (`ping`, `pong`): a
 * `{ type: "ping" }` every interval (R34 allows one a second), and
 * `timedOut` when no frame at all arrives within the timeout after a ping,
 * so a connection that died without a close is noticed.
 */
export class Heartbeat {
  readonly #timers: Timers;
  readonly #options: HeartbeatOptions;
  readonly #ping: () => void;
  readonly #timedOut: () => void;

  /**
   * @param ping sends the ping frame
   * @param timedOut the socket is dead: close it and recover
   */
  constructor(timers: Timers, options: HeartbeatOptions, ping: () => void, timedOut: () => void) {
    this.#timers = timers;
    this.#options = options;
    this.#ping = ping;
    this.#timedOut = timedOut;
  }

  /** The socket opened: ping from now on. */
  start(): void {
    const timers = this.#timers;
    timers.set("ping", this.#options.heartbeatIntervalMs ?? 25_000, () => {
      this.#ping();
      if (!timers.has("pong")) {
        timers.set("pong", this.#options.heartbeatTimeoutMs ?? 10_000, this.#timedOut);
      }
      this.start();
    });
  }

  /** A frame arrived: the socket is alive. */
  heard(): void {
    this.#timers.clear("pong");
  }

  /** The socket is gone: no more pings. */
  stop(): void {
    this.#timers.clear("ping");
    this.#timers.clear("pong");
  }
}
