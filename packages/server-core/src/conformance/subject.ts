import { afterAll, beforeAll } from "vitest";
import type { SyncStore } from "../store.js";

/** A store under test and how to dispose of it. */
export interface ConformanceSubject {
  /** The store the suite drives, only through the {@link SyncStore} port. */
  readonly store: SyncStore;
  /** Releases everything `open` created (connections, a database); called after the concern's tests. */
  close(): Promise<void>;
}

/**
 * Opens a fresh, empty store: no user, no op, no cursor. The suite calls it
 * once per concern (push, pull, ACK, compaction, …) before that concern's
 * tests, and closes the subject after them, as each test file had its own
 * database before.
 */
export type OpenConformanceSubject = () => Promise<ConformanceSubject>;

/**
 * Opens a subject before the tests of the enclosing `describe` and closes it
 * after them. Call it inside a `describe` callback.
 * @returns the open store, valid inside the tests and hooks of that `describe`
 */
export function storeUnderTest(open: OpenConformanceSubject): () => SyncStore {
  let subject: ConformanceSubject | undefined;
  beforeAll(async () => {
    subject = await open();
  });
  afterAll(async () => {
    await subject?.close();
    subject = undefined;
  });
  return () => {
    if (!subject) throw new Error("the conformance subject is open only inside its tests");
    return subject.store;
  };
}
