/**
 * The WebSocket close codes of `/sync/ws` (R35). Clients switch on the code,
 * never on the reason text.
 */
export const CLOSE_CODE = {
  /** Normal close. */
  normal: 1000,
  /** The server is shutting down, after flushing ACKs. */
  goingAway: 1001,
  /** An invalid client frame, an ACK above the head, or pings too fast (R34). */
  policyViolation: 1008,
  /** A client frame over `MAX_CLIENT_FRAME_BYTES` (R34). */
  messageTooBig: 1009,
  /** The server failed to open the socket or to read live ops for it. */
  serverError: 1011,
  /** The socket fell too far behind (R33). */
  slowConsumer: 1013,
  /** The token expired while the socket was open (R8). */
  tokenExpired: 4401,
  /** After a `resync_required` frame (R30). */
  resyncRequired: 4410,
} as const;

/** One of {@link CLOSE_CODE}'s values. */
export type CloseCode = (typeof CLOSE_CODE)[keyof typeof CLOSE_CODE];

/**
 * What a client does when its socket closes:
 * - `reconnect`: reconnect with `since = <cursor>` after a backoff.
 * - `reauthenticate`: get a fresh token, then reconnect.
 * - `reset`: the recovery loop of R63, then reconnect.
 * - `stop`: the client broke the protocol; reconnecting would loop. Report it.
 */
export type CloseRecovery = "reconnect" | "reauthenticate" | "reset" | "stop";

/** The recovery for each close code of {@link CLOSE_CODE}. */
export const CLOSE_RECOVERY = {
  [CLOSE_CODE.normal]: "reconnect",
  [CLOSE_CODE.goingAway]: "reconnect",
  [CLOSE_CODE.policyViolation]: "stop",
  [CLOSE_CODE.messageTooBig]: "stop",
  [CLOSE_CODE.serverError]: "reconnect",
  [CLOSE_CODE.slowConsumer]: "reconnect",
  [CLOSE_CODE.tokenExpired]: "reauthenticate",
  [CLOSE_CODE.resyncRequired]: "reset",
} as const satisfies Record<CloseCode, CloseRecovery>;

/**
 * The recovery for any close code: {@link CLOSE_RECOVERY}'s for the codes of
 * this protocol, `reconnect` for every other (a network drop, a proxy).
 */
export function closeRecovery(code: number | undefined): CloseRecovery {
  return (
    (CLOSE_RECOVERY as Record<number, CloseRecovery>)[code ?? CLOSE_CODE.normal] ?? "reconnect"
  );
}
