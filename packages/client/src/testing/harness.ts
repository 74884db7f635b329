import { randomUUID } from "node:crypto";
import { materialize, type Op, reduceOps, SNAPSHOT_PATH } from "@syncline/protocol";
import {
  type InProcessServer,
  type InProcessServerOptions,
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

/**
 * Options of a server released before `GET /sync/snapshot`: it answers 404,
 * and clients catch up from 0 by pull (R74, C13).
 */
export const WITHOUT_SNAPSHOTS: InProcessServerOptions<ManualScheduler> = {
  missingPaths: [SNAPSHOT_PATH],
};

/** A new server (with its own hand-driven clock) and a network to it with no fault set. */
export function testNetwork(options: InProcessServerOptions<ManualScheduler> = {}): TestNetwork {
  const server = startInProcessServer(options);
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

/** One change another device makes: set a field of an entity, or delete the entity. */
export type Change = readonly [entityId: string, field: string, value: string] | readonly [string];

/**
 * Another device of the user that talks straight to the server (no client of
 * its own), so a test can write at any point, e.g. between snapshot pages.
 */
export function directWriter(server: InProcessServer) {
  const credentials = {
    token: server.token({ expiresInSeconds: 365 * 24 * 3600 }),
    deviceId: randomUUID(),
  };
  const transport = server.transport();
  let lamport = 0;
  return {
    /** Pushes the changes to entities of `entityType`, in one batch, and waits until stored. */
    async write(changes: readonly Change[], entityType = "note"): Promise<void> {
      const ops = changes.map((change): Op => {
        const base = { operation_id: randomUUID(), lamport_ts: ++lamport, entity_type: entityType };
        return change.length === 1
          ? { ...base, entity_id: change[0], op: "delete", field: null, value: null }
          : { ...base, entity_id: change[0], op: "upsert", field: change[1], value: change[2] };
      });
      if (ops.length === 0) return;
      const result = await transport.push(ops, credentials);
      if (!result.ok) throw new Error(result.failure.message);
    },
    /** ACKs `lastSeenId` (R25), so compaction counts this device (R57). */
    async ack(lastSeenId: number): Promise<void> {
      const result = await transport.ack(lastSeenId, credentials);
      if (!result.ok) throw new Error(result.failure.message);
    },
  };
}

/** What the server's log folds to (R48–R52): entity_type → entity_id → field → value. */
export async function serverFold(network: TestNetwork) {
  return materialize(reduceOps(await network.server.log()));
}
