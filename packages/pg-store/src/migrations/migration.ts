/** One schema change, applied once per database by {@link migratePgStore}. */
export interface PgStoreMigration {
  /** Position in the history; applied in ascending order, never reused. */
  readonly version: number;
  /** Short name, recorded with the version. */
  readonly name: string;
  /** The DDL, run in one transaction. */
  readonly sql: string;
}
