import { LAMPORT_RECEIVE_CEILING, MAX_LAMPORT_TS } from "@syncline/protocol";

/**
 * The device's Lamport clock, by R40–R43. Pure: the caller persists
 * the value (the {@link ClientStore} keeps it in the same transaction as the
 * ops it stamps), so it never decreases, also across restarts.
 */

/**
 * The timestamp of the next local op: `clock + 1` (R41).
 * @throws RangeError when the clock would pass `MAX_LAMPORT_TS` (2^52); with
 * {@link receiveRemote}'s ceiling that takes 2^51 local ops
 */
export function tickLocal(clock: number): number {
  const next = clock + 1;
  if (next > MAX_LAMPORT_TS) {
    throw new RangeError(
      `Lamport clock exhausted: ${next} would pass MAX_LAMPORT_TS (${MAX_LAMPORT_TS})`,
    );
  }
  return next;
}

/**
 * The clock after receiving an op stamped `remote` (R42):
 * `max(clock, min(remote, LAMPORT_RECEIVE_CEILING)) + 1`. A peer stamping
 * near the limit cannot exhaust this device's clock, and receiving never
 * throws: a clock already at `MAX_LAMPORT_TS` stays there (it never decreases).
 */
export function receiveRemote(clock: number, remote: number): number {
  const next = Math.max(clock, Math.min(remote, LAMPORT_RECEIVE_CEILING)) + 1;
  return next > MAX_LAMPORT_TS ? clock : next;
}
