import { describe } from "vitest";
import { describeAckConformance } from "./ack.js";
import { describeCompactionConformance } from "./compaction.js";
import { describeConvergenceConformance } from "./convergence.js";
import { describeEncodedPullConformance } from "./encoded-pull.js";
import { describeIsolationConformance } from "./isolation.js";
import { describeLamportConformance } from "./lamport.js";
import { describeNotificationConformance } from "./notifications.js";
import { describePullConformance } from "./pull.js";
import { describePushConformance } from "./push.js";
import { describeRetryConformance } from "./retry.js";
import { describeSnapshotConformance } from "./snapshot.js";
import type { OpenConformanceSubject } from "./subject.js";
import { describeVisibilityConformance } from "./visibility.js";

export { pullAll } from "./log.js";
export { protocolExampleLog, remove, upsert, uuid } from "./ops.js";
export type { ConformanceSubject, OpenConformanceSubject } from "./subject.js";

/**
 * Registers, with vitest, every test of what `docs/PROTOCOL.md` asks of a
 * `SyncStore` (push R3, R4, R13–R17, R40, R44, R47; no skipped ops R18;
 * notifications R19; pull R20, R22–R24; snapshot R72–R74; ACK R25–R27; compaction R56–R59, R61, R62;
 * retries of compacted ops R68; tenant isolation R9), driving the store only
 * through the port. Call it at the top level of a test file; `fast-check`
 * and `vitest` must be installed.
 *
 * The suite needs a store that starts empty, whose pushes, pulls and ACKs
 * may run concurrently, and whose push notices of one user reach every
 * handler in commit order.
 * @param name what the suite's `describe` is called, e.g. the store's class
 * @param open opens a fresh, empty store; called once per concern, whose
 * tests all run on it, and closed after them
 * @example
 * // my-store.test.ts
 * import { describeSyncStoreConformance } from "@syncline/server-core/conformance";
 * describeSyncStoreConformance("MyStore", async () => {
 *   const store = await MyStore.connect(process.env.TEST_DATABASE_URL);
 *   return { store, close: () => store.disconnect() };
 * });
 */
export function describeSyncStoreConformance(name: string, open: OpenConformanceSubject): void {
  describe(`${name} conforms to SyncStore`, () => {
    describePushConformance(open);
    describeLamportConformance(open);
    describeVisibilityConformance(open);
    describeNotificationConformance(open);
    describePullConformance(open);
    describeEncodedPullConformance(open);
    describeAckConformance(open);
    describeCompactionConformance(open);
    describeRetryConformance(open);
    describeSnapshotConformance(open);
    describeIsolationConformance(open);
    describeConvergenceConformance(open);
  });
}
