import {
  type JsonValue,
  jsonValueProblem,
  MAX_NAME_LENGTH,
  PullResponseSchema,
  textProblem,
} from "@syncline/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodePullPage, pullResponseBody } from "../encoded-pull.js";
import { remove, upsert, uuid } from "./ops.js";
import { type OpenConformanceSubject, storeUnderTest } from "./subject.js";

/** A name the protocol accepts: any text, within its length, that PostgreSQL stores unchanged. */
const name = fc
  .string({ unit: "grapheme", minLength: 1, maxLength: 12 })
  .filter((text) => text.length <= MAX_NAME_LENGTH && textProblem(text) === undefined);

/** The encoded page is the page (R20): what `GET /sync/ops` sends is what `pull` returns. */
export function describeEncodedPullConformance(open: OpenConformanceSubject): void {
  describe("pullEncoded", () => {
    const store = storeUnderTest(open);

    it("R20 (page): pullEncoded is pull's page as the wire's JSON, for any names and values (property)", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              entityType: name,
              entityId: name,
              field: name,
              value: fc
                .jsonValue({ maxDepth: 3 })
                .filter((value) => jsonValueProblem(value) === undefined),
              deleted: fc.boolean(),
            }),
            { minLength: 1, maxLength: 8 },
          ),
          fc.integer({ min: 1, max: 5 }),
          async (edits, limit) => {
            const [user, device] = [uuid(), uuid()];
            await store().push(
              user,
              device,
              edits.map((edit, i) =>
                edit.deleted
                  ? remove(i + 1, edit.entityId, edit.entityType)
                  : upsert(
                      i + 1,
                      edit.entityId,
                      edit.field,
                      edit.value as JsonValue,
                      edit.entityType,
                    ),
              ),
            );
            for (let since = 0, more = true; more; ) {
              const page = await store().pull(user, { since, limit });
              const encoded = await store().pullEncoded(user, { since, limit });
              // The same page as it crosses the wire (JSON has no -0, for one).
              const onTheWire = JSON.parse(JSON.stringify(page));
              expect(decodePullPage(encoded)).toEqual(onTheWire);
              expect(encoded.count).toBe(page.ops.length);
              const body = PullResponseSchema.parse(JSON.parse(pullResponseBody(encoded)));
              expect(body).toEqual(onTheWire);
              more = page.has_more;
              since = page.ops.at(-1)?.id ?? since;
            }
          },
        ),
        { numRuns: 25 },
      );
    });
  });
}
