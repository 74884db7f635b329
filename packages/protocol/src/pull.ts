import { z } from "zod";
import { CursorSchema } from "./ack.js";
import { DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT } from "./limits.js";
import { QueryInt } from "./query-int.js";
import { StoredOpSchema } from "./stored-op.js";

/** Query of `GET /sync/ops?since=N&limit=M` (both optional; strings as in a URL). */
export const PullQuerySchema = z.object({
  /** Return ops with `id > since`. `0` (the default) means from the start. */
  since: QueryInt("since").default(0),
  /** Most ops in the page, 1..5000. */
  limit: QueryInt("limit")
    .pipe(
      z
        .number()
        .min(1, { error: "limit must be at least 1" })
        .max(MAX_PULL_LIMIT, { error: `limit must be at most ${MAX_PULL_LIMIT}` }),
    )
    .default(DEFAULT_PULL_LIMIT),
  /**
   * `true` when this page continues a pull that began at `since=0` (a first
   * sync, or the re-pull after a 410): the watermark guard does not apply, so
   * paging through a compacted log from 0 ends. A log read from 0 converges
   * whatever was compacted meanwhile, because compaction keeps every field's
   * winner and every entity's newest delete.
   */
  resync: z
    .enum(["true", "false"], { error: "resync must be true or false" })
    .transform((value) => value === "true")
    .default(false),
});
export type PullQuery = z.infer<typeof PullQuerySchema>;

/**
 * 200 response of `GET /sync/ops`: ops in ascending `id`, whether more follow,
 * and the user's head when the page was read (R75).
 */
export const PullResponseSchema = z.object({
  ops: z.array(StoredOpSchema),
  has_more: z.boolean(),
  /**
   * The user's highest op id when the page was read (R75): how far a catch-up
   * has to go. Absent from servers that predate it.
   */
  head: CursorSchema.optional(),
});
export type PullResponse = z.infer<typeof PullResponseSchema>;
