import type { Credentials, SyncIssue, TransportResult } from "../transport.js";
import { issueOf, RefreshUnavailableError, recoveryOf } from "../transport.js";

/** How asking `refreshToken` went: a new token, a refusal, or its issuer out of reach (C10). */
export type RefreshOutcome = "refreshed" | "refused" | "unavailable";

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
  #refreshing: Promise<RefreshOutcome> | undefined;
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
    if (isRefusal(result)) {
      const outcome =
        this.credentials().token !== sentWith.token ? "refreshed" : await this.#refresh();
      if (outcome === "refreshed") result = await send(this.credentials());
      // The issuer is out of reach: a network failure, retried later, not a refusal.
      else if (outcome === "unavailable") {
        return { ok: false, failure: { type: "network", message: "cannot refresh the token now" } };
      }
    }
    if (!result.ok && isRefusal(result)) {
      this.#refuse(issueOf(result.failure));
    } else if (result.ok) {
      this.#events.succeeded();
    }
    return result;
  }

  /**
   * Asks `refreshToken` for a new token, one call at a time: every caller
   * meanwhile shares the same outcome (C10).
   */
  #refresh(): Promise<RefreshOutcome> {
    const refreshToken = this.#refreshToken;
    if (!refreshToken) return Promise.resolve("refused");
    this.#refreshing ??= (async (): Promise<RefreshOutcome> => {
      await null;
      try {
        this.#token = await refreshToken();
        return "refreshed";
      } catch (error) {
        return error instanceof RefreshUnavailableError ? "unavailable" : "refused";
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  /**
   * Refreshes because the server said the token expired (a socket closed
   * with 4401): a refusal is reported as one of a request would be.
   */
  async reauthenticate(): Promise<RefreshOutcome> {
    const outcome = await this.#refresh();
    if (outcome === "refused") {
      this.#refuse({
        type: "auth_required",
        message: "the token expired and could not be refreshed",
      });
    }
    return outcome;
  }

  /** Enters the refused state, telling the engine once. */
  #refuse(issue: SyncIssue): void {
    if (this.refused) return;
    this.refused = true;
    this.#events.refused(issue);
  }
}
