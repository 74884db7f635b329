import type { Credentials, SyncIssue, TransportResult } from "../transport.js";
import { issueOf, recoveryOf } from "../transport.js";

/** What {@link Requests} tells the engine. */
export interface RequestEvents {
  /** A request succeeded: a previous failure no longer stands. */
  succeeded(): void;
  /** The token was refused, and refreshing did not help: stop until `setAuth`. */
  refused(issue: SyncIssue): void;
}

/**
 * Sends the engine's requests with this device's credentials: on 401 it asks
 * `refreshToken` once (one refresh for every request that is refused at the
 * same time) and retries, else reports the token refused.
 */
export class Requests {
  readonly #deviceId: string;
  readonly #refreshToken: (() => string | Promise<string>) | undefined;
  readonly #events: RequestEvents;
  #token: string | undefined;
  #refreshing: Promise<boolean> | undefined;
  /** The token was refused; nothing is sent until {@link Requests.setToken}. */
  refused = false;

  constructor(
    deviceId: string,
    token: string | undefined,
    refreshToken: (() => string | Promise<string>) | undefined,
    events: RequestEvents,
  ) {
    this.#deviceId = deviceId;
    this.#token = token;
    this.#refreshToken = refreshToken;
    this.#events = events;
  }

  /** The token and device id requests carry. */
  credentials(): Credentials {
    return { token: this.#token ?? "", deviceId: this.#deviceId };
  }

  /**
   * Sets the token; after a refusal, requests may go out again.
   * @returns whether the client was waiting for it (it was refused)
   */
  setToken(token: string): boolean {
    this.#token = token;
    const wasRefused = this.refused;
    this.refused = false;
    return wasRefused;
  }

  /** Sends a request; on 401 refreshes the token once and retries, else reports the refusal. */
  async call<T>(
    send: (credentials: Credentials) => Promise<TransportResult<T>>,
  ): Promise<TransportResult<T>> {
    const sentWith = this.credentials();
    let result = await send(sentWith);
    const isRefusal = (r: TransportResult<T>) =>
      !r.ok && recoveryOf(r.failure) === "reauthenticate";
    // A refresh that finished while this request was under way already gave a
    // new token: retry with it rather than refreshing again (C10).
    if (isRefusal(result) && (this.#token !== sentWith.token || (await this.#refresh()))) {
      result = await send(this.credentials());
    }
    if (!result.ok && isRefusal(result)) {
      if (!this.refused) {
        this.refused = true;
        this.#events.refused(issueOf(result.failure));
      }
    } else if (result.ok) {
      this.#events.succeeded();
    }
    return result;
  }

  #refresh(): Promise<boolean> {
    const refreshToken = this.#refreshToken;
    if (!refreshToken) return Promise.resolve(false);
    this.#refreshing ??= (async () => {
      await null;
      try {
        this.#token = await refreshToken();
        return true;
      } catch {
        return false;
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }
}
