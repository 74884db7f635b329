import { OpIdSchema, UuidSchema } from "@syncline/protocol";
import type { PushNotice } from "@syncline/server-core";
import { z } from "zod";

/** Channel on which a committed push is announced. */
export const PUSH_CHANNEL = "syncline_push";

/** Payload of a {@link PUSH_CHANNEL} notification: a `PushNotice`. */
export const PushNoticeSchema = z.object({
  /** The user whose log grew. */
  user_id: UuidSchema,
  /** Highest id the push inserted. */
  max_id: OpIdSchema,
  /** The `PgSyncStore.origin` of the store that pushed. */
  origin: z.string().optional(),
}) satisfies z.ZodType<PushNotice>;

/**
 * SQL that queues the {@link PUSH_CHANNEL} notification of a push (sent at
 * commit): a {@link PushNotice} as JSON, from SQL expressions for the user
 * the highest inserted id and the pushing store's origin, so the push statement announces itself
 * without a round trip of its own.
 */
export function pushNoticeSql(userId: string, maxId: string, origin: string): string {
  return `pg_notify('${PUSH_CHANNEL}', json_build_object('user_id', ${userId}, 'max_id', ${maxId}, 'origin', ${origin})::text)`;
}

/**
 * Reads a {@link PUSH_CHANNEL} payload.
 * @returns the notice, or `undefined` when the payload is not one (anyone may NOTIFY the channel)
 */
export function decodePushNotice(payload: string): PushNotice | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const result = PushNoticeSchema.safeParse(parsed);
  return result.success ? result.data : undefined;
}
