/** Capped exponential backoff. */
export interface BackoffOptions {
  /** Delay ceiling of the first retry, in ms. @default 500 */
  readonly baseMs?: number;
  /** Largest delay, in ms. @default 30_000 */
  readonly maxMs?: number;
}

/** Defaults of {@link BackoffOptions}. */
export const DEFAULT_BACKOFF = { baseMs: 500, maxMs: 30_000 } as const;

/**
 * Delay before retry number `attempt` (0 for the first): the ceiling
 * `min(maxMs, baseMs * 2^attempt)`, of which a random half is jittered away,
 * so the delay lies in `[ceiling / 2, ceiling]` and devices that failed
 * together do not retry together.
 * @param random a number in [0, 1), e.g. `Math.random()`
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: number): number {
  const baseMs = options.baseMs ?? DEFAULT_BACKOFF.baseMs;
  const maxMs = options.maxMs ?? DEFAULT_BACKOFF.maxMs;
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 52));
  return ceiling / 2 + (ceiling / 2) * random;
}
