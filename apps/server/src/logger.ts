import pino from "pino";
import type { ServerConfig } from "./config.js";

/** The server's JSON logger (pino), written to stdout. */
export function createLogger(level: ServerConfig["logLevel"]): pino.Logger {
  return pino({ level, base: { service: "syncline-server" } });
}
