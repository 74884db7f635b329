import type { EngineContext } from "./context.js";

/**
 * The ACK part (R28): after ops are applied it waits the debounce, then ACKs
 * the cursor over the open socket (`{ ack }` frame), or by `POST /sync/ack`
 * while there is none; never the same or a lower id twice.
 */
export class Acks<Db> {
  readonly #ctx: EngineContext<Db>;
  /** The highest id ACKed so far. */
  #acked = 0;

  constructor(ctx: EngineContext<Db>) {
    this.#ctx = ctx;
  }

  /** ACKs the cursor after the debounce, unless an ACK is already scheduled. */
  schedule(): void {
    const ctx = this.#ctx;
    if (ctx.timers.has("ack")) return;
    ctx.timers.set("ack", ctx.options.ackDebounceMs ?? 1000, () => void this.#send());
  }

  /** ACKs the cursor now over the open socket (e.g. before `stop()` closes it). */
  overSocket(): void {
    const cursor = this.#ctx.inbound.cursor();
    if (cursor <= this.#acked) return;
    if (this.#ctx.connection.send({ ack: cursor })) this.#acked = cursor;
  }

  async #send(): Promise<void> {
    const ctx = this.#ctx;
    if (!ctx.canSync()) return;
    if (ctx.connection.link.kind === "open") return this.overSocket();
    const cursor = ctx.inbound.cursor();
    if (cursor <= this.#acked) return;
    const result = await ctx.requests.call((c) => ctx.transport.ack(cursor, c));
    if (result.ok) this.#acked = Math.max(this.#acked, cursor);
  }
}
