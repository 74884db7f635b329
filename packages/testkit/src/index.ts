export { adminDatabaseUrl, createTestDatabase, type TestDatabase } from "./database.js";
export {
  type InProcessCompactOptions,
  type InProcessServer,
  type InProcessServerOptions,
  startInProcessServer,
} from "./in-process-server.js";
export {
  createInProcessWebSocket,
  type FetchHandler,
  type InProcessWebSocket,
} from "./in-process-websocket.js";
export { ManualScheduler, settle, until } from "./manual-scheduler.js";
export { rawInsertOps } from "./raw-insert.js";
export { TokenIssuer, type TokenOptions } from "./token-issuer.js";
export {
  type RecordedAck,
  type RecordedPull,
  type RecordedPush,
  type RecordedSnapshot,
  type RecordedSocket,
  TrafficRecord,
} from "./traffic-record.js";
export {
  type FaultAnswer,
  type HeldRequest,
  type PushFault,
  TransportFaults,
} from "./transport-faults.js";
