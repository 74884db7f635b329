const inFlight = new Set<Promise<unknown>>();

/**
 * Counts `work` as in flight until it settles, so {@link settle} waits for it:
 * work whose progress does not follow the event loop turn by turn, such as
 * an in-process server's request, whose JWT check runs on the crypto thread
 * pool.
 * @returns `work`
 */
export function trackInFlight<T>(work: Promise<T>): Promise<T> {
  inFlight.add(work);
  const done = () => inFlight.delete(work);
  work.then(done, done);
  return work;
}

/**
 * Waits until no tracked work is in flight.
 * @returns whether there was any to wait for
 */
export async function inFlightSettled(): Promise<boolean> {
  if (inFlight.size === 0) return false;
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  return true;
}
