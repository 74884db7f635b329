import { describeSyncStoreConformance } from "./conformance/index.js";
import { MemorySyncStore } from "./memory-store.js";

// The SyncStore conformance suite (R3, R4, R9, R13–R20, R22–R27, R40, R44, R47,
// R56–R59, R61, R62, R68) in memory: each concern gets its own empty store.
describeSyncStoreConformance("MemorySyncStore", async () => ({
  store: new MemorySyncStore(),
  close: async () => {},
}));
