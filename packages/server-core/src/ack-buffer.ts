import { type Cancel, type Scheduler, systemScheduler } from "@syncline/protocol";
import type { SyncLogger } from "./observer.js";
import { silentLogger } from "./observer.js";
import type { PendingAck, SyncStore } from "./store.js";

/** Options of {@link AckBuffer}. */
export interface AckBufferOptions {
  /** Where flushed ACKs go. */
  store: Pick<SyncStore, "ack">;
  /** Milliseconds between periodic flushes. @default 5000 */
  flushIntervalMs?: number;
  /** Logs failed flushes (the ACKs stay buffered and are retried). */
  logger?: SyncLogger;
  /** Time source of the periodic flush and of each ACK's arrival time. @default systemScheduler */
  scheduler?: Scheduler;
}

const key = (userId: string, deviceId: string) => `${userId}/${deviceId}`;

/**
 * Keeps the latest ACK of each (user, device) in memory and writes them to
 * the store every `flushIntervalMs`, when a device disconnects, and on
 * {@link AckBuffer.stop}. Compaction must count {@link AckBuffer.pending}:
 * an unflushed ACK still makes its device fresh.
 */
export class AckBuffer {
  readonly #store: Pick<SyncStore, "ack">;
  readonly #intervalMs: number;
  readonly #logger: SyncLogger;
  readonly #scheduler: Scheduler;
  readonly #entries = new Map<string, PendingAck>();
  #cancelTick: Cancel | undefined;

  constructor(options: AckBufferOptions) {
    this.#store = options.store;
    this.#intervalMs = options.flushIntervalMs ?? 5000;
    this.#logger = options.logger ?? silentLogger;
    this.#scheduler = options.scheduler ?? systemScheduler;
  }

  /** Starts the periodic flush. */
  start(): void {
    if (this.#cancelTick) return;
    // The periodic flush never keeps a process alive on its own.
    const background = { keepAlive: false };
    const tick = () => {
      this.#cancelTick = this.#scheduler.schedule(this.#intervalMs, tick, background);
      void this.flush();
    };
    this.#cancelTick = this.#scheduler.schedule(this.#intervalMs, tick, background);
  }

  /** Stops the periodic flush and writes what is buffered. */
  async stop(): Promise<void> {
    this.#cancelTick?.();
    this.#cancelTick = undefined;
    await this.flush();
  }

  /** Records an ACK; keeps the highest id and the newest time per device. */
  record(
    userId: string,
    deviceId: string,
    lastSeenId: number,
    at: Date = new Date(this.#scheduler.now()),
  ): PendingAck {
    const k = key(userId, deviceId);
    const previous = this.#entries.get(k);
    const entry: PendingAck = {
      userId,
      deviceId,
      lastSeenId: Math.max(previous?.lastSeenId ?? 0, lastSeenId),
      at: previous && previous.at > at ? previous.at : at,
    };
    this.#entries.set(k, entry);
    return entry;
  }

  /** The buffered ACK of one device, if any. */
  get(userId: string, deviceId: string): PendingAck | undefined {
    return this.#entries.get(key(userId, deviceId));
  }

  /** Every ACK not yet written, for compaction's MIN. */
  pending(): PendingAck[] {
    return [...this.#entries.values()];
  }

  /** Writes every buffered ACK. Failed writes stay buffered for the next flush. */
  async flush(): Promise<void> {
    await Promise.all([...this.#entries.keys()].map((k) => this.#flushKey(k)));
  }

  /** Writes one device's buffered ACK (e.g. when its socket closes). */
  flushDevice(userId: string, deviceId: string): Promise<void> {
    return this.#flushKey(key(userId, deviceId));
  }

  async #flushKey(k: string): Promise<void> {
    const entry = this.#entries.get(k);
    if (!entry) return;
    try {
      await this.#store.ack(entry.userId, entry.deviceId, entry.lastSeenId, entry.at);
      // A newer ACK recorded while writing stays for the next flush.
      if (this.#entries.get(k) === entry) this.#entries.delete(k);
    } catch (error) {
      this.#logger.error(
        { err: error, userId: entry.userId, deviceId: entry.deviceId },
        "ACK flush failed",
      );
    }
  }
}
