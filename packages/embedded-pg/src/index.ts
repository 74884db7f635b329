export { findFreePort } from "./free-port.js";
export { type PostmasterLock, readPostmasterLock } from "./postmaster-lock.js";
export {
  type EmbeddedPostgresHandle,
  type StartEmbeddedPostgresOptions,
  startEmbeddedPostgres,
} from "./start.js";
