import { randomUUID } from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * The JSON in the secret file at `path`, made by `create` and written (mode
 * 0600) when the file does not exist yet. The file is written aside and then
 * linked into place, so a reader never sees half a file, and when two
 * processes start at once the first one linked wins and both use it.
 */
export async function readOrCreateSecretFile<T>(
  path: string,
  create: () => Promise<T>,
): Promise<T> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") throw error;
  }
  const made = await create();
  await mkdir(dirname(path), { recursive: true });
  const draft = `${path}.${randomUUID()}.tmp`;
  await writeFile(draft, JSON.stringify(made), { mode: 0o600 });
  try {
    await link(draft, path);
  } catch (error) {
    if ((error as { code?: string }).code !== "EEXIST") throw error;
    return JSON.parse(await readFile(path, "utf8")) as T;
  } finally {
    await rm(draft, { force: true });
  }
  return made;
}
