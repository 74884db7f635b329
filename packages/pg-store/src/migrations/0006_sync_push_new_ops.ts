import type { PgStoreMigration } from "./migration.js";

/**
 * `sync_push_new_ops(user, device, ops)`: a push whose ops are all new, in
 * ONE round trip and one implicit transaction. It takes the user's lock (the
 * key `beginLockedByUser` takes, from the same text), then, in later
 * statements, which see every earlier holder's commit, checks that each op's
 * `lamport_ts` is above the one before it (the first above the device's
 * highest stored, R16) and that compaction never removed an op of the same
 * `operation_id` (R68), in one read of the batch. Then it inserts the batch in order with a plain
 * INSERT, queues the push notification (sent at commit) and returns the new
 * ids in batch order, the transaction's clock and the user's head before the
 * push. Anything else (a retry, a
 * reused `operation_id`, a Lamport conflict) raises, SQLSTATE `SLNEW` from a
 * check or `23505` from a unique constraint, so the whole call rolls back and
 * the caller takes the full path, which classifies every op. `p_ops` is the
 * batch of validated ops as one JSON array; `p_origin` goes into the notice.
 */
export const syncPushNewOpsMigration: PgStoreMigration = {
  version: 6,
  name: "sync_push_new_ops",
  sql: `
CREATE FUNCTION sync_push_new_ops(
  p_user text, p_device uuid, p_ops json, p_origin text,
  OUT ids bigint[], OUT wall_clock text, OUT head_before bigint
) LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  stored_max bigint;
  fresh boolean;
BEGIN
  PERFORM pg_advisory_xact_lock(1398361667, hashtext(p_user));
  SELECT coalesce(max(id), 0) INTO head_before FROM sync_op WHERE user_id = p_user::uuid;
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
