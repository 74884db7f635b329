import type { Scheduler } from "@syncline/protocol";
import type { SyncClientOptions } from "../options.js";
import type { ClientStore } from "../store.js";
import type { SyncIssue, Transport } from "../transport.js";
import type { Acks } from "./acks.js";
import type { Connection } from "./connection.js";
import type { Inbound } from "./inbound.js";
import type { MutationRegistry } from "./mutations.js";
import type { Pusher } from "./pusher.js";
import type { Requests } from "./requests.js";
import type { SyncHealth } from "./status.js";
import type { Timers } from "./timers.js";

/**
 * What every part of the engine sees: the ports, the clock, the shared
 * records, and the other parts (each part has one job and asks the others for
 * theirs). The facade (`createSyncClient`) builds it.
 */
export interface EngineContext<Db> {
  readonly options: SyncClientOptions<Db>;
  readonly store: ClientStore<Db>;
  readonly transport: Transport;
  readonly scheduler: Scheduler;
  readonly random: () => number;
  readonly deviceId: string;
  readonly timers: Timers;
  readonly health: SyncHealth;
  readonly mutations: MutationRegistry;
  readonly requests: Requests;
  readonly pusher: Pusher<Db>;
  readonly inbound: Inbound<Db>;
  readonly connection: Connection<Db>;
  readonly acks: Acks<Db>;
  /** Whether the client is started. */
  readonly running: boolean;
  /** Whether requests may go out: started, and the token was not refused. */
  canSync(): boolean;
  /** Reads the queue's counts again (after the queue changed). */
  readQueue(): void;
  /** Derives the status again and tells the listeners if it changed. */
  refreshStatus(): void;
  /** Records a failure as the last error and publishes it. */
  fail(issue: SyncIssue): void;
  /** Records a failure of the store or of the app's `onApply` hook. */
  localFailure(error: unknown): void;
}
