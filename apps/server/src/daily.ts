/** Milliseconds from `now` until the next `HH:MM` UTC: the nightly compaction's schedule. */
export function msUntilDaily(at: string, now: Date = new Date()): number {
  const [hours, minutes] = at.split(":").map(Number) as [number, number];
  const next = new Date(now);
  next.setUTCHours(hours, minutes, 0, 0);
  if (next <= now) next.setUTCDate(next.getUTCDate() + 1);
  return next.getTime() - now.getTime();
}
