import type { PgStoreMigration } from "./migration.js";

/**
 * `sync_user_head(user)`: the user's highest op id, 0 for an empty log, as
 * one backward probe of `sync_op_user_id_id_idx`; and `sync_push_new_ops`
 * (migration 6) reading its head through it. The plain `max(id) WHERE user_id
 * = $1` leaves the planner the primary key walked down from the newest op
 * with a filter on the user, and it takes it when the user is a large share
 * of the log: for a user whose ops are all older than another user's, every
 * head read then walks through all of the other user's ops (measured
 * 13–19 ms beside 100,000 newer ops, against one probe). The head is read by
 * every push, pull page, snapshot page, ACK and socket catch-up. The body
 * bounds the `(user_id, id)` index by row comparisons and asks for its order
 * (as `sync_op_page` does, migration 8), so with sorts off that index is the
 * only plan. In PL/pgSQL, whose plan is kept per connection: a SQL function
 * with settings is planned at every call, which cost more than the probe.
 */
export const syncUserHeadMigration: PgStoreMigration = {
  version: 9,
  name: "sync_user_head",
  sql: `
CREATE FUNCTION sync_user_head(p_user uuid) RETURNS bigint LANGUAGE plpgsql STABLE
SET enable_bitmapscan = off SET enable_sort = off SET enable_incremental_sort = off AS $fn$
BEGIN
  RETURN coalesce((
    SELECT id FROM sync_op
    WHERE (user_id, id) > (p_user, 0) AND (user_id, id) <= (p_user, 9223372036854775807)
    ORDER BY user_id DESC, id DESC LIMIT 1
  ), 0);
END
$fn$;
CREATE OR REPLACE FUNCTION sync_push_new_ops(
  p_user text, p_device uuid, p_ops json, p_origin text,
  OUT ids bigint[], OUT wall_clock text, OUT head_before bigint
) LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  stored_max bigint;
  fresh boolean;
BEGIN
  PERFORM pg_advisory_xact_lock(1398361667, hashtext(p_user));
  head_before := sync_user_head(p_user::uuid);
  SELECT max(lamport_ts) INTO stored_max
  FROM sync_op WHERE user_id = p_user::uuid AND device_id = p_device;
  SELECT bool_and(j.lamport_ts > coalesce(j.previous, stored_max, 0) AND r.operation_id IS NULL)
  INTO fresh
  FROM (
    SELECT b.operation_id, b.lamport_ts, lag(b.lamport_ts) OVER (ORDER BY b.ord) AS previous
    FROM ROWS FROM (json_to_recordset(p_ops) AS (operation_id uuid, lamport_ts bigint))
      WITH ORDINALITY AS b(operation_id, lamport_ts, ord)
  ) j
  LEFT JOIN sync_op_retired r
    ON r.user_id = p_user::uuid AND r.device_id = p_device AND r.operation_id = j.operation_id;
  IF fresh IS NOT TRUE THEN
    RAISE EXCEPTION 'not a push of new ops' USING ERRCODE = 'SLNEW';
  END IF;
  WITH inserted AS (
    INSERT INTO sync_op (user_id, device_id, operation_id, entity_type, entity_id, op, field, value, lamport_ts)
    SELECT p_user::uuid, p_device, b.operation_id, b.entity_type, b.entity_id, b.op, b.field,
      CASE WHEN b.op = 'upsert' THEN coalesce(b.value, 'null'::jsonb) END, b.lamport_ts
    FROM ROWS FROM (json_to_recordset(p_ops) AS (
      operation_id uuid, entity_type text, entity_id text, op text, field text, value jsonb,
      lamport_ts bigint
    )) WITH ORDINALITY AS b(operation_id, entity_type, entity_id, op, field, value, lamport_ts, ord)
    ORDER BY b.ord
    RETURNING id
  )
  SELECT array_agg(id ORDER BY id) INTO ids FROM inserted;
  PERFORM pg_notify('syncline_push',
    json_build_object('user_id', p_user::uuid, 'max_id', ids[cardinality(ids)], 'origin', p_origin)::text);
  wall_clock := to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
END
$fn$;
`,
};
