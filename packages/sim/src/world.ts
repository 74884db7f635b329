import {
  createSyncClient,
  MemoryClientStore,
  type Mutation,
  type SyncClient,
  type Transport,
} from "@syncline/client";
import type { ErrorBody } from "@syncline/protocol";
import { MemorySyncStore, type SyncStore } from "@syncline/server-core";
import {
  type InProcessServer,
  ManualScheduler,
  settle,
  startInProcessServer,
  TokenIssuer,
  TransportFaults,
} from "@syncline/testkit";

/** The entity a poison op writes: the server refuses every batch that holds one (422, naming it). */
export const POISON_ENTITY = "poison";

/** How long a token lives: time jumps expire it, and the client must refresh it. */
const TOKEN_TTL_SECONDS = 3600;

/** One simulated device: a durable store (what was committed survives a crash) and the engine on it. */
export interface SimDevice {
  readonly name: string;
  readonly userId: string;
  readonly store: MemoryClientStore;
  readonly faults: TransportFaults;
  client: SyncClient<undefined>;
  /** Every `mutate` this device made, in order, across restarts. */
  readonly mutations: Mutation<unknown>[];
  /** The highest cursor its store ever held durably (the bound of its server cursor, invariant 4). */
  maxDurableCursor: number;
  /** The app's write fails the next time server ops are applied (a full disk): the batch rolls back. */
  failNextApply: boolean;
}

/** Options of {@link SimWorld.create}. */
export interface SimWorldOptions {
  /** Devices per user: at least one user with two or more, and another user. @default [3, 1] */
  readonly devicesPerUser?: readonly number[];
  /** The op log. @default a MemorySyncStore on the world's clock */
  readonly store?: (scheduler: ManualScheduler) => SyncStore;
  /** Receives each step's description when tracing. */
  readonly trace?: (line: string) => void;
}

/** Worlds made in this process: each gets ids of its own, so worlds can share one database. */
let worlds = 0;

/** Deterministic UUIDs (v7 layout) of one world, so a schedule replays exactly. */
function uuidOf(world: number, kind: number, n: number): string {
  const w = world.toString(16).padStart(8, "0");
  return `${w}-0000-7000-8${kind.toString(16)}00-${n.toString(16).padStart(12, "0")}`;
}

/**
 * The simulated world: one hand-driven clock that every timer of client and
 * server runs on, the real routes over one store (which survives server
 * restarts), and devices whose transports pass through fault injectors.
 */
export class SimWorld {
  readonly scheduler: ManualScheduler;
  readonly store: SyncStore;
  readonly tokens: TokenIssuer;
  readonly devices: SimDevice[] = [];
  readonly trace: (line: string) => void;
  /** This world's number, part of every id it makes. */
  readonly number = ++worlds;
  server: InProcessServer<ManualScheduler>;
  #transport: Transport;
  /** Counts server restarts: sockets of an earlier generation are dead. */
  #generation = 0;
  #ids = 0;

  private constructor(options: SimWorldOptions) {
    this.scheduler = new ManualScheduler();
    this.store =
      options.store?.(this.scheduler) ?? new MemorySyncStore({ scheduler: this.scheduler });
    this.tokens = new TokenIssuer(uuidOf(this.number, 1, 0), () => this.scheduler.now());
    this.server = this.#startServer();
    this.#transport = this.server.transport();
    this.trace = options.trace ?? (() => {});
  }

  /** A world with its devices started. */
  static create(options: SimWorldOptions = {}): SimWorld {
    const world = new SimWorld(options);
    (options.devicesPerUser ?? [3, 1]).forEach((count, user) => {
      for (let i = 0; i < count; i++) {
        world.#addDevice(`u${user}d${i}`, uuidOf(world.number, 1, user));
      }
    });
    return world;
  }

  /** The device a schedule's index names (indices wrap around the devices there are). */
  deviceAt(index: number): SimDevice {
    return this.devices[index % this.devices.length]!;
  }

  /** The users and their devices. */
  get users(): string[] {
    return [...new Set(this.devices.map((device) => device.userId))];
  }

  /** Lets time pass: every timer due runs, in order. */
  async advance(ms: number): Promise<void> {
    await this.scheduler.advance(ms);
  }

  /** Time jumps, as after a sleep: due timers run once, late. */
  async jump(ms: number): Promise<void> {
    await this.scheduler.jump(ms);
  }

  /** A new device of the first user joins: it starts from an empty store (R23). */
  join(): void {
    const user = this.devices[0]!.userId;
    this.#addDevice(`u0d${this.devices.filter((d) => d.userId === user).length}`, user);
  }

  /** A device crashes (its socket is cut, nothing more is written) and starts again on its store. */
  async crash(device: SimDevice, loseClock: boolean): Promise<void> {
    device.faults.cutSockets();
    await device.client.stop();
    if (loseClock) device.store.transaction((tx) => tx.setLamport(0));
    device.client = this.#client(device);
    device.client.start();
    await settle();
  }

  /**
   * The server process restarts: its hub and unflushed ACKs are lost, the
   * store and the signing key are not; every socket drops.
   */
  async restartServer(): Promise<void> {
    for (const device of this.devices) device.faults.cutSockets();
    this.#generation++;
    this.server = this.#startServer();
    this.#transport = this.server.transport();
    await settle();
  }

  /** Compacts every user now, counting the running server's unflushed ACKs. */
  async compact(): Promise<void> {
    await this.store.compact({
      now: new Date(this.scheduler.now()),
      pendingAcks: this.server.acks.pending(),
    });
  }

  /** Records every device's durable cursor (after each step). */
  noteCursors(): void {
    for (const device of this.devices) {
      const cursor = device.store.transaction((tx) => tx.cursor());
      device.maxDurableCursor = Math.max(device.maxDurableCursor, cursor);
    }
  }

  /** Ends the faults and lets time pass until every device is synced and caught up, or gives up. */
  async heal(): Promise<void> {
    for (const device of this.devices) {
      device.faults.offline = false;
      device.faults.nextPushes.splice(0);
    }
    for (let round = 0; round < 60; round++) {
      await this.advance(5_000);
      this.noteCursors();
      if (await this.#quiet()) return;
    }
  }

  async #quiet(): Promise<boolean> {
    for (const device of this.devices) {
      const { status } = device.client;
      if (status.state !== "synced" || status.pendingCount > 0) return false;
      const head = await this.store.headId(device.userId);
      if (device.store.transaction((tx) => tx.cursor()) < head) return false;
    }
    return true;
  }

  #startServer(): InProcessServer<ManualScheduler> {
    return startInProcessServer({
      scheduler: this.scheduler,
      store: this.store,
      tokens: this.tokens,
    });
  }

  #addDevice(name: string, userId: string): void {
    const store = new MemoryClientStore();
    const faults = new TransportFaults();
    faults.answerPush = refusePoison;
    const device = {
      name,
      userId,
      store,
      faults,
      mutations: [],
      maxDurableCursor: 0,
      failNextApply: false,
    } as Omit<SimDevice, "client"> as SimDevice;
    device.client = this.#client(device);
    this.devices.push(device);
    device.client.start();
  }

  #client(device: SimDevice): SyncClient<undefined> {
    const { userId, store, faults } = device;
    // The transport reaches whichever server instance runs now.
    const current: Transport = {
      push: (ops, credentials) => this.#transport.push(ops, credentials),
      pull: (query, credentials) => this.#transport.pull(query, credentials),
      snapshot: (query, credentials) => this.#transport.snapshot(query, credentials),
      ack: (lastSeenId, credentials) => this.#transport.ack(lastSeenId, credentials),
      connect: (since, credentials, listener) => {
        // A socket whose handshake was still under way when its server
        // restarted belongs to a dead process: it closes instead of opening.
        const generation = this.#generation;
        const dead = () => generation !== this.#generation;
        const socket = this.#transport.connect(since, credentials, {
          open: () => (dead() ? socket.close() : listener.open()),
          frame: (frame) => {
            if (!dead()) listener.frame(frame);
          },
          close: (reason, code) => listener.close(reason, code),
        });
        return socket;
      },
    };
    return createSyncClient({
      store,
      transport: faults.wrap(current),
      token: this.tokens.issue({ userId, expiresInSeconds: TOKEN_TTL_SECONDS }),
      refreshToken: () => this.tokens.issue({ userId, expiresInSeconds: TOKEN_TTL_SECONDS }),
      scheduler: this.scheduler,
      random: () => 0.5,
      newId: () => uuidOf(this.number, 2, ++this.#ids),
      ackDebounceMs: 200,
      onApply: () => {
        if (!device.failNextApply) return;
        device.failNextApply = false;
        throw new Error("the app's write failed (disk full)");
      },
    });
  }
}

/** The server's answer to a batch holding a poison op: 422 naming it (R38). */
function refusePoison(
  ops: readonly { entity_id: string }[],
): { status: number; body: ErrorBody } | undefined {
  const positions = ops.flatMap((op, i) => (op.entity_id === POISON_ENTITY ? [i] : []));
  if (positions.length === 0) return undefined;
  return {
    status: 422,
    body: {
      type: "invalid_request",
      message: "invalid request: a poison op",
      issues: positions.map((i) => ({
        path: ["ops", i, "entity_id"],
        message: "poison",
        code: "custom",
      })),
    },
  };
}
