export { adminDatabaseUrl, createTestDatabase, type TestDatabase } from "./database.js";
export { ManualScheduler, settle, until } from "./manual-scheduler.js";
