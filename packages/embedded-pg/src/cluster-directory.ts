import { join, resolve } from "node:path";

/**
 * The cluster directory (what PostgreSQL calls its data directory, `-D`) that
 * `startEmbeddedPostgres` keeps inside the `dataDir` it is given.
 */
export function clusterDirectory(dataDir: string): string {
  return join(resolve(dataDir), "pgdata");
}
