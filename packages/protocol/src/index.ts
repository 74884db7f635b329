export {
  type AckRequest,
  AckRequestSchema,
  type AckResponse,
  AckResponseSchema,
  CursorSchema,
} from "./ack.js";
export {
  ACCESS_TOKEN_PARAM,
  AUTHORIZATION_HEADER,
  BEARER_PREFIX,
  DEVICE_ID_CLAIM,
  DEVICE_ID_HEADER,
  DEVICE_ID_PARAM,
} from "./auth.js";
export {
  ACK_PATH,
  CURSOR_PARAM,
  ENTITY_TYPE_PARAM,
  LIMIT_PARAM,
  OPS_PATH,
  RESYNC_PARAM,
  SINCE_PARAM,
  SNAPSHOT_PATH,
  SYNC_PATH_PATTERN,
  WS_PATH,
} from "./endpoints.js";
export {
  type ErrorBody,
  ErrorBodySchema,
  type ErrorType,
  type InternalError,
  InternalErrorSchema,
  type InvalidRequestError,
  InvalidRequestErrorSchema,
  type LamportConflictError,
  LamportConflictErrorSchema,
  type NotFoundError,
  NotFoundErrorSchema,
  type OperationIdReusedError,
  OperationIdReusedErrorSchema,
  type PayloadTooLargeError,
  PayloadTooLargeErrorSchema,
  type RequestIssue,
  RequestIssueSchema,
  type ResyncRequiredError,
  ResyncRequiredErrorSchema,
  type UnauthorizedError,
  UnauthorizedErrorSchema,
} from "./error/error-body.js";
export { ERROR_RECOVERY, type ErrorRecovery, recoveryFor } from "./error/error-recovery.js";
export { ERROR_STATUS } from "./error/error-status.js";
export { invalidRequest, requestIssues } from "./error/request-issues.js";
export { isSyncError, SyncError } from "./error/sync-error.js";
export {
  type JsonValue,
  JsonValueSchema,
  jsonByteLength,
  jsonValueProblem,
  textProblem,
} from "./json.js";
export {
  DEFAULT_PULL_LIMIT,
  DEFAULT_SNAPSHOT_LIMIT,
  LAMPORT_RECEIVE_CEILING,
  MAX_BODY_BYTES,
  MAX_CLIENT_FRAME_BYTES,
  MAX_ENTITY_ID_LENGTH,
  MAX_LAMPORT_TS,
  MAX_NAME_LENGTH,
  MAX_PAGE_VALUE_BYTES,
  MAX_PULL_LIMIT,
  MAX_PUSH_OPS,
  MAX_SNAPSHOT_CURSOR_LENGTH,
  MAX_SNAPSHOT_LIMIT,
  MAX_STORED_LAMPORT_TS,
  MAX_VALUE_BYTES,
  MAX_VALUE_DEPTH,
  PING_BURST,
  PING_REFILL_MS,
} from "./limits.js";
export {
  type DeleteOp,
  DeleteOpSchema,
  EntityIdSchema,
  EntityTypeSchema,
  FieldSchema,
  LamportTsSchema,
  type Op,
  OpSchema,
  StoredLamportTsSchema,
  type UpsertOp,
  UpsertOpSchema,
} from "./op.js";
export {
  MIN_SUPPORTED_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_HEADER,
} from "./protocol-version.js";
export { type PullQuery, PullQuerySchema, type PullResponse, PullResponseSchema } from "./pull.js";
export {
  type PushAnswer,
  PushAnswerSchema,
  type PushedOp,
  PushedOpSchema,
  type PushRequest,
  PushRequestSchema,
  type PushResponse,
  PushResponseSchema,
} from "./push.js";
export {
  opsOfPushReceipt,
  type PushReceipt,
  PushReceiptSchema,
  pushReceiptOf,
  type ReceiptDuplicate,
  ReceiptDuplicateSchema,
} from "./push-receipt.js";
export {
  applyOpTo,
  cloneState,
  type EntityState,
  type FieldState,
  type LwwTarget,
  type MaterializedState,
  materialize,
  reduceOps,
  type SyncState,
  syncStateTarget,
} from "./reducer.js";
export {
  type Cancel,
  type ScheduleOptions,
  type Scheduler,
  systemScheduler,
} from "./scheduler.js";
export {
  encodeSnapshotCursor,
  type SnapshotCursor,
  SnapshotCursorSchema,
  type SnapshotEntity,
  SnapshotEntitySchema,
  type SnapshotField,
  SnapshotFieldSchema,
  type SnapshotQuery,
  SnapshotQuerySchema,
  type SnapshotResponse,
  SnapshotResponseSchema,
} from "./snapshot.js";
export { OpIdSchema, type StoredOp, StoredOpSchema, WallClockSchema } from "./stored-op.js";
export { UuidSchema } from "./uuid.js";
export { type AckFrame, AckFrameSchema } from "./ws/ack-frame.js";
export { type ClientFrame, ClientFrameSchema } from "./ws/client-frame.js";
export {
  CLOSE_CODE,
  CLOSE_RECOVERY,
  type CloseCode,
  type CloseRecovery,
  closeRecovery,
} from "./ws/close-codes.js";
export { type OpsFrame, OpsFrameSchema } from "./ws/ops-frame.js";
export { type PingFrame, PingFrameSchema } from "./ws/ping-frame.js";
export { type PongFrame, PongFrameSchema } from "./ws/pong-frame.js";
export { type ResyncRequiredFrame, ResyncRequiredFrameSchema } from "./ws/resync-required-frame.js";
export { type ServerFrame, ServerFrameSchema } from "./ws/server-frame.js";
