export { findFreePort } from "./free-port.js";
export {
  type EmbeddedPostgresHandle,
  type StartEmbeddedPostgresOptions,
  startEmbeddedPostgres,
} from "./start.js";
