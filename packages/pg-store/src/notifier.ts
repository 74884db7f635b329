import pg from "pg";
import type { Queryable } from "./queryable.js";

/** Receives the payload of one notification. */
export type NotificationHandler = (payload: string) => void;

/** Options of {@link PgNotifier}. */
export interface PgNotifierOptions {
  /** Pool that {@link PgNotifier.notify} sends through; its settings also open the listening connection. */
  pool: pg.Pool;
  /**
   * Makes the dedicated connection that LISTENs (a pooled one would be
   * recycled under it).
   * @default () => new pg.Client(pool.options)
   */
  createClient?: () => pg.Client;
  /**
   * Wait before reconnecting after the listening connection failed, and
   * between failed attempts.
   * @default 1000
   */
  reconnectDelayMs?: number;
  /**
   * Called once a reconnect has re-subscribed every channel. Notifications
   * sent while disconnected are lost: catch up here (e.g. pull from the last
   * id you fanned out).
   */
  onReconnect?: () => void;
  /**
   * Receives errors of the listening connection (the notifier reconnects by
   * itself) and errors thrown by handlers.
   * @default ignore them
   */
  onError?: (error: Error) => void;
}

/**
 * Sends `payload` on `channel` with `pg_notify`. Through a client inside a
 * transaction, PostgreSQL delivers it only if and when that transaction
 * commits.
 */
export async function publish(db: Queryable, channel: string, payload: string): Promise<void> {
  await db.query("SELECT pg_notify($1, $2)", [channel, payload]);
}

/**
 * PostgreSQL LISTEN/NOTIFY for any number of channels over ONE dedicated
 * connection per notifier, opened on the first {@link subscribe}. When that
 * connection fails, the notifier reconnects and listens again to every
 * subscribed channel.
 * @example
 * const notifier = new PgNotifier({ pool });
 * const stop = await notifier.subscribe("my_channel", (payload) => console.log(payload));
 * await notifier.notify("my_channel", "hello");
 */
export class PgNotifier {
  readonly #pool: pg.Pool;
  readonly #createClient: () => pg.Client;
  readonly #reconnectDelayMs: number;
  readonly #onReconnect: () => void;
  readonly #onError: (error: Error) => void;
  readonly #handlers = new Map<string, Set<NotificationHandler>>();
  /** The connection being opened or open; unset after a failure until the reconnect. */
  #client: Promise<pg.Client> | undefined;
  /** The open connection whose failure triggers a reconnect. */
  #live: pg.Client | undefined;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: PgNotifierOptions) {
    this.#pool = options.pool;
    this.#createClient = options.createClient ?? (() => new pg.Client(options.pool.options));
    this.#reconnectDelayMs = options.reconnectDelayMs ?? 1000;
    this.#onReconnect = options.onReconnect ?? (() => {});
    this.#onError = options.onError ?? (() => {});
  }

  /**
   * Calls `handler` with the payload of every notification on `channel`.
   * @returns once the channel is listened to, a function that unsubscribes
   * @throws when the listening connection cannot be opened
   */
  async subscribe(channel: string, handler: NotificationHandler): Promise<() => Promise<void>> {
    if (this.#closed) throw new Error("PgNotifier is closed");
    let handlers = this.#handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.#handlers.set(channel, handlers);
    }
    handlers.add(handler);
    try {
      await listen(await this.#connection(), channel);
    } catch (error) {
      await this.#unsubscribe(channel, handler);
      throw error;
    }
    return () => this.#unsubscribe(channel, handler);
  }

  /** Sends `payload` on `channel` (through the pool, outside any transaction). */
  notify(channel: string, payload: string): Promise<void> {
    return publish(this.#pool, channel, payload);
  }

  /** Stops listening and closes the dedicated connection. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#handlers.clear();
    const client = this.#client;
    this.#client = undefined;
    this.#live = undefined;
    await client?.then((open) => open.end()).catch(() => {});
  }

  async #unsubscribe(channel: string, handler: NotificationHandler): Promise<void> {
    const handlers = this.#handlers.get(channel);
    if (!handlers?.delete(handler) || handlers.size > 0) return;
    this.#handlers.delete(channel);
    await this.#live?.query(`UNLISTEN ${this.#live.escapeIdentifier(channel)}`).catch(() => {});
  }

  #dispatch(channel: string, payload: string): void {
    for (const handler of this.#handlers.get(channel) ?? []) {
      try {
        handler(payload);
      } catch (error) {
        this.#onError(error as Error);
      }
    }
  }

  /** The listening connection, opened (and listening to every channel) if needed. */
  #connection(): Promise<pg.Client> {
    if (!this.#client) {
      const attempt = this.#open();
      this.#client = attempt;
      attempt.catch(() => {
        if (this.#client === attempt) this.#client = undefined;
      });
    }
    return this.#client;
  }

  async #open(): Promise<pg.Client> {
    const client = this.#createClient();
    client.on("notification", (message) => this.#dispatch(message.channel, message.payload ?? ""));
    client.on("error", (error) => this.#lost(client, error));
    client.on("end", () => this.#lost(client, new Error("listening connection ended")));
    try {
      await client.connect();
      for (const channel of this.#handlers.keys()) await listen(client, channel);
    } catch (error) {
      client.end().catch(() => {});
      throw error;
    }
    if (!this.#closed) this.#live = client;
    return client;
  }

  /** The open connection failed: drop it and reconnect after a delay. */
  #lost(client: pg.Client, error: Error): void {
    if (this.#live !== client) return;
    this.#live = undefined;
    this.#client = undefined;
    client.end().catch(() => {});
    this.#onError(error);
    this.#reconnectLater();
  }

  #reconnectLater(): void {
    if (this.#closed || this.#handlers.size === 0) return;
    this.#retry = setTimeout(() => {
      this.#connection().then(
        () => this.#onReconnect(),
        (error: Error) => {
          this.#onError(error);
          this.#reconnectLater();
        },
      );
    }, this.#reconnectDelayMs);
  }
}

function listen(client: pg.Client, channel: string): Promise<unknown> {
  return client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
}
