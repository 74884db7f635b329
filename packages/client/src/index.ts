export { type Cancel, type Scheduler, systemScheduler } from "@syncline/protocol";
export type { BackoffOptions } from "./backoff.js";
export { type CatchUpProgress, catchUpFraction } from "./catch-up-progress.js";
export {
  createHttpTransport,
  type HttpTransportOptions,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./http-transport.js";
export { receiveRemote, tickLocal } from "./lamport.js";
export { MemoryClientStore } from "./memory-store.js";
export {
  type Mutation,
  type MutationState,
  type MutationTx,
  OpRejectedError,
} from "./mutation.js";
export {
  type ServerStateStatus,
  type ServerStateWatch,
  type WatchServerStateOptions,
  watchServerState,
} from "./server-state.js";
export {
  ACCESS_TOKEN_PATH,
  type SessionAccessTokens,
  type SessionAccessTokensOptions,
  SessionEndedError,
  sessionAccessTokens,
} from "./session-access-tokens.js";
export { applySnapshotTo } from "./snapshot-apply.js";
export type { ClientStore, EntityFields, FailedOp, PendingOp, StoreTx } from "./store.js";
export {
  type AppliedBatch,
  createSyncClient,
  type SyncClient,
  type SyncClientOptions,
  type SyncClientState,
  type SyncStatus,
} from "./sync-client.js";
export {
  type Credentials,
  type PullRequest,
  RefreshUnavailableError,
  type SnapshotRequest,
  type SocketListener,
  type SyncIssue,
  type Transport,
  type TransportFailure,
  type TransportResult,
  type TransportSocket,
} from "./transport.js";
export { type RandomBytes, uuidv7 } from "./uuid-v7.js";
