/** Key under which the global setup provides the admin connection string. */
export const ADMIN_URL_KEY = "synclineAdminDatabaseUrl" as const;

declare module "vitest" {
  export interface ProvidedContext {
    [ADMIN_URL_KEY]: string;
  }
}
