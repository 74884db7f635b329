import { ManualScheduler } from "@syncline/testkit";
import { MemoryClientStore } from "../memory-store.js";
import { createSyncClient, type SyncClient, type SyncClientOptions } from "../sync-client.js";
import { FakeServer } from "./fake-server.js";

/** One device: its client, store, and the scheduler driving it. */
export interface Device {
  readonly client: SyncClient<undefined>;
  readonly store: MemoryClientStore;
  readonly scheduler: ManualScheduler;
}

/** A client over a `MemoryClientStore`, talking to `server` with a valid token and hand-driven time. */
export function device(
  server: FakeServer,
  options: Partial<SyncClientOptions<undefined>> & {
    store?: MemoryClientStore;
    scheduler?: ManualScheduler;
  } = {},
): Device {
  const store = options.store ?? new MemoryClientStore();
  const scheduler = options.scheduler ?? new ManualScheduler();
  const client = createSyncClient<undefined>({
    transport: server.transport(),
    token: "good-token",
    random: () => 0.5,
    ...options,
    store,
    scheduler,
  });
  return { client, store, scheduler };
}

export { FakeServer };
