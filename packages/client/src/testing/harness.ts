import {
  type InProcessServer,
  type ManualScheduler,
  startInProcessServer,
  TrafficRecord,
  TransportFaults,
} from "@syncline/testkit";
import {
  createSyncClient,
  MemoryClientStore,
  type SyncClient,
  type SyncClientOptions,
  type Transport,
} from "../index.js";

/**
 * The real server in-process and what lies between it and the devices: the
 * faults a test injects and the record of what the devices sent.
 */
export interface TestNetwork {
  readonly server: InProcessServer;
  /** Faults on the way between every device and the server. */
  readonly faults: TransportFaults;
  /** Everything the devices sent (faulted requests included), and what their sockets carried. */
  readonly traffic: TrafficRecord;
  /** A device's transport: recorded, through the faults, to the server. */
  transport(): Transport;
}

/** A new server (with its own hand-driven clock) and a network to it with no fault set. */
export function testNetwork(): TestNetwork {
  const server = startInProcessServer();
  const faults = new TransportFaults();
  const traffic = new TrafficRecord();
  return {
    server,
    faults,
    traffic,
    transport: () => traffic.wrap(faults.wrap(server.transport())),
  };
}

/** One device: its client, store, and the scheduler driving it. */
export interface Device {
  readonly client: SyncClient<undefined>;
  readonly store: MemoryClientStore;
  readonly scheduler: ManualScheduler;
}

/**
 * A client over a `MemoryClientStore`, talking to the network's server with
 * a valid token, on the server's clock (so one `advance` moves both sides).
 */
export function device(
  network: TestNetwork,
  options: Partial<SyncClientOptions<undefined>> & {
    store?: MemoryClientStore;
    scheduler?: ManualScheduler;
  } = {},
): Device {
  const store = options.store ?? new MemoryClientStore();
  const scheduler = options.scheduler ?? network.server.scheduler;
  const client = createSyncClient<undefined>({
    transport: network.transport(),
    token: network.server.token(),
    random: () => 0.5,
    ...options,
    store,
    scheduler,
  });
  return { client, store, scheduler };
}
