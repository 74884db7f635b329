import pino from "pino";
import { loadConfig } from "../src/config.js";
import { startServer } from "../src/server.js";
const server = await startServer(loadConfig({ DATABASE_URL: process.argv[2], PORT: "0", SYNCLINE_DATA_DIR: process.argv[3], SYNCLINE_COMPACTION_AT: "off" }), pino({ level: "silent" }));
process.on("message", () => process.exit(0));
console.log(JSON.stringify({ url: server.url }));
