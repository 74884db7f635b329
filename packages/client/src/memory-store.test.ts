import { describe, expect, it } from "vitest";
import { describeClientStore, localOp } from "./conformance/index.js";
import { MemoryClientStore } from "./memory-store.js";

describeClientStore("MemoryClientStore", () => ({ store: new MemoryClientStore() }));

describe("MemoryClientStore", () => {
  it("joins a transaction opened inside another", () => {
    const store = new MemoryClientStore();
    expect(() =>
      store.transaction((outer) => {
        outer.enqueue(localOp(1));
        store.transaction((inner) => {
          expect(inner.pendingCount()).toBe(1);
          inner.enqueue(localOp(2));
        });
        throw new Error("outer fails");
      }),
    ).toThrow("outer fails");
    expect(store.transaction((tx) => tx.pendingCount())).toBe(0);
  });
});
