import { type BackoffOptions, backoffDelay } from "../backoff.js";

/**
 * Failures in a row of one kind of request, and the backoff before the next
 * try: the one retry helper that pushes and reconnects share.
 */
export class RetryCounter {
  readonly #options: BackoffOptions;
  readonly #random: () => number;
  #failures = 0;

  constructor(options: BackoffOptions, random: () => number) {
    this.#options = options;
    this.#random = random;
  }

  /** Counts one more failure and returns how long to wait before the next try. */
  nextDelay(): number {
    return backoffDelay(this.#failures++, this.#options, this.#random());
  }

  /** A success: the next failure waits the shortest delay again. */
  reset(): void {
    this.#failures = 0;
  }
}
