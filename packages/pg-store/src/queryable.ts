import type pg from "pg";

/** Anything that runs a query: a pool, or a client (possibly inside a transaction). */
export type Queryable = Pick<pg.Pool | pg.ClientBase, "query">;
