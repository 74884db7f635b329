import type { Db } from "./mirror-tables.js";

/** The app's settings kept in the device file: the schema version of its tables, the repository mode. */
export type SettingKey = "schema_version" | "repository_mode";

/** Creates the `app_settings (key, value)` table. */
export function createSettingsTable(db: Db): void {
  db.exec("CREATE TABLE IF NOT EXISTS app_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
}

/** One setting, or undefined when never written. */
export function readSetting(db: Db, key: SettingKey): string | undefined {
  const row = db.prepare("SELECT value FROM app_settings WHERE key = ?").get(key) as
    | { value: string }
    | undefined;
  return row?.value;
}

/** Writes one setting. */
export function writeSetting(db: Db, key: SettingKey, value: string): void {
  db.prepare("INSERT OR REPLACE INTO app_settings (key, value) VALUES (?, ?)").run(key, value);
}
