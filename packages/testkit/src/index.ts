export { adminDatabaseUrl, createTestDatabase, type TestDatabase } from "./database.js";
