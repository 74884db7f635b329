import { stat } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to
 * traverse `dir` and every directory above it (the "others" execute bit: it
 * owns none of them).
 * @param what what lies there for PostgreSQL, e.g. "its data directory"
 * @param alternative the fix besides chmod, e.g. "choose a data directory it can reach"
 * @throws naming the first directory it cannot traverse, and the fix
 */
export async function assertReachableByOthers(
  dir: string,
  what: string,
  alternative: string,
): Promise<void> {
  for (let current = dir; ; current = dirname(current)) {
    const { mode } = await stat(current);
    if ((mode & 0o001) === 0) {
      throw new Error(
        `PostgreSQL runs as the "postgres" user when started as root, and it cannot enter ${current} ` +
          `(mode ${(mode & 0o777).toString(8)}) to reach ${what} in ${dir}: ` +
          `make it traversable (chmod o+x ${current}), or ${alternative}.`,
      );
    }
    if (dirname(current) === current) return;
  }
}
