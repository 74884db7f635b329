/**
 * The listeners of one event. Each hears every notification, in the order it
 * subscribed; one that throws is reported (the error is rethrown in a
 * microtask, where the runtime's handler sees it) and never stops the others
 * or the notifier.
 */
export class Listeners<T> {
  readonly #listeners = new Set<(value: T) => void>();

  /** Adds `listener`; returns the function that removes it. */
  add(listener: (value: T) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Calls every listener with `value`. */
  notify(value: T): void {
    for (const listener of this.#listeners) {
      try {
        listener(value);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Removes every listener. */
  clear(): void {
    this.#listeners.clear();
  }
}
