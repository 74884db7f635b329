import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, expect, inject } from "vitest";
import { ADMIN_URL_KEY } from "./keys.js";

/** A database created for one test file. */
export interface TestDatabase {
  /** Connection string of the fresh database. */
  readonly url: string;
  /** Its name. */
  readonly name: string;
}

/** Connection string of the admin (`postgres`) database of the test run. */
export function adminDatabaseUrl(): string {
  return inject(ADMIN_URL_KEY);
}

/**
 * Creates a fresh, empty PostgreSQL database for the calling test file and
 * drops it after the file's tests. Call it at the top level of a
 * `*.pg.test.ts` file (or in `beforeAll`).
 * @throws when called from a test file whose name does not end in `.pg.test.ts`
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const testPath = expect.getState().testPath ?? "";
  if (!testPath.endsWith(".pg.test.ts")) {
    throw new Error(
      `${testPath} needs PostgreSQL: name it *.pg.test.ts so it is recognised as a database test`,
    );
  }
  const adminUrl = adminDatabaseUrl();
  const name = `syncline_test_${randomBytes(6).toString("hex")}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  afterAll(async () => {
    await withAdmin(adminUrl, (client) =>
      client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    );
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), name };
}

async function withAdmin<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
