import type { ErrorType } from "@syncline/protocol";

/**
 * Hooks for metrics. Every method is optional; the server wires them to
 * Prometheus counters and histograms.
 */
export interface SyncObserver {
  /** A push was stored: how many ops were new and how many were duplicates. */
  pushed?(userId: string, inserted: number, duplicates: number): void;
  /** A pull page was served. */
  pulled?(userId: string, ops: number): void;
  /** A request was answered with a Syncline error body. */
  failed?(type: ErrorType): void;
  /** The number of open sockets changed. */
  sockets?(open: number): void;
  /**
   * A page of new ops went out live to `sockets` sockets (once per page, not
   * per socket): milliseconds since the newest op's `wall_clock`.
   */
  fannedOut?(latencyMs: number, ops: number, sockets: number): void;
}

/** Minimal structured logger (pino's signature), so the adapter needs no logging library. */
export interface SyncLogger {
  error(details: object, message: string): void;
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

/** A logger that drops everything. */
export const silentLogger: SyncLogger = { error() {}, warn() {}, info() {} };
