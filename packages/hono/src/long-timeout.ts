/** The longest delay `setTimeout` honours (2^31 − 1 ms, about 24.8 days); a longer one fires at once. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * Calls `callback` at the wall-clock time `at` (ms since the epoch), however
 * far away: delays beyond what one `setTimeout` can hold are waited out in
 * steps. The timer never keeps the process alive.
 * @returns a function that cancels it
 */
export function setTimeoutAt(at: number, callback: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    const delay = at - Date.now();
    if (delay <= 0) return callback();
    timer = setTimeout(arm, Math.min(delay, MAX_TIMER_DELAY_MS));
    timer.unref?.();
  };
  arm();
  return () => clearTimeout(timer);
}
