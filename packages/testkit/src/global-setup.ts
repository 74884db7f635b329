import { startEmbeddedPostgres } from "@syncline/embedded-pg";
import type { TestProject } from "vitest/node";
import { ADMIN_URL_KEY } from "./keys.js";

/**
 * vitest globalSetup: provides an admin connection string to every test file.
 * Uses `TEST_DATABASE_URL` or `DATABASE_URL` when set; otherwise starts one
 * embedded PostgreSQL for the whole run and stops it afterwards.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (given) {
    project.provide(ADMIN_URL_KEY, given);
    return async () => {};
  }
  const pg = await startEmbeddedPostgres();
  project.provide(ADMIN_URL_KEY, pg.url);
  return () => pg.stop();
}
