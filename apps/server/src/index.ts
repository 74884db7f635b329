export { type CompactionOutcome, type RunCompactionOptions, runCompaction } from "./compaction.js";
export { ConfigError, loadConfig, type ServerConfig } from "./config.js";
export { type SyncServer, startServer } from "./server.js";
