export { AckBuffer, type AckBufferOptions } from "./ack-buffer.js";
export {
  decodePullPage,
  type EncodedPullPage,
  encodePullPage,
  pullResponseBody,
  type StorePullPage,
} from "./encoded-pull.js";
export { DEFAULT_MAX_BUFFERED_BYTES, Hub, type HubOptions, type HubSocket } from "./hub.js";
export { MemorySyncStore, type MemorySyncStoreOptions } from "./memory-store.js";
export { type SyncLogger, type SyncObserver, silentLogger } from "./observer.js";
export { recordAck } from "./record-ack.js";
export { type SnapshotRow, snapshotPage } from "./snapshot-page.js";
export {
  type AckBounds,
  type CompactionReport,
  type CompactOptions,
  type CompactUserOptions,
  DEFAULT_STALE_AFTER_MS,
  type PendingAck,
  type PullPage,
  type PushNotice,
  type PushOutcome,
  type SnapshotPageRequest,
  type SyncStore,
  type UserCompaction,
} from "./store.js";
export {
  ackAboveHead,
  lamportConflict,
  operationIdReused,
  resyncRequired,
  snapshotAheadOfHead,
} from "./store-errors.js";
