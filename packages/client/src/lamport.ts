import { MAX_LAMPORT_TS } from "@syncline/protocol";

/**
 * The device's Lamport clock, by the seed's rules. Pure: the caller persists
 * the value (the {@link ClientStore} keeps it in the same transaction as the
 * ops it stamps), so it never decreases, also across restarts.
 */

/**
 * The timestamp of the next local op: `clock + 1`.
 * @throws RangeError when the clock would pass `MAX_LAMPORT_TS`
 */
export function tickLocal(clock: number): number {
  return checked(clock + 1);
}

/**
 * The clock after receiving an op stamped `remote`: `max(clock, remote) + 1`.
 * @throws RangeError when the clock would pass `MAX_LAMPORT_TS`
 */
export function receiveRemote(clock: number, remote: number): number {
  return checked(Math.max(clock, remote) + 1);
}

function checked(next: number): number {
  if (next > MAX_LAMPORT_TS) throw new RangeError(`Lamport clock overflow (${next})`);
  return next;
}
