import fc from "fast-check";
import { checkStepInvariants } from "./invariants.js";
import { POISON_ENTITY, type SimWorld } from "./world.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** One event of a schedule: it acts on the world, then every step invariant is checked. */
abstract class SimCommand implements fc.AsyncCommand<object, SimWorld> {
  check(): boolean {
    return true;
  }

  async run(_model: object, world: SimWorld): Promise<void> {
    world.trace(this.toString());
    await this.act(world);
    await checkStepInvariants(world);
  }

  protected abstract act(world: SimWorld): Promise<void>;
  abstract toString(): string;
}

/** A local edit over a small key space, so edits collide: an upsert or a delete. */
class Edit extends SimCommand {
  constructor(
    readonly device: number,
    readonly entity: string,
    readonly field: string,
    readonly value: number | null,
  ) {
    super();
  }
  protected async act(world: SimWorld): Promise<void> {
    const device = world.deviceAt(this.device);
    const type = this.entity === POISON_ENTITY ? POISON_ENTITY : "note";
    device.mutations.push(
      device.client.mutate((tx) =>
        this.value === null
          ? tx.delete(type, this.entity)
          : tx.upsert(type, this.entity, this.field, this.value),
      ),
    );
  }
  toString(): string {
    const what = this.value === null ? "delete" : `${this.field}=${this.value}`;
    return `edit(device ${this.device}, ${this.entity}, ${what})`;
  }
}

/** Time passes. */
class Advance extends SimCommand {
  constructor(readonly ms: number) {
    super();
  }
  protected async act(world: SimWorld): Promise<void> {
    await world.advance(this.ms);
  }
  toString(): string {
    return `advance(${this.ms} ms)`;
  }
}

/** A device's network goes down (its socket is cut) or comes back. */
class Network extends SimCommand {
  constructor(
    readonly device: number,
    readonly online: boolean,
  ) {
    super();
  }
  protected async act(world: SimWorld): Promise<void> {
    const { faults } = world.deviceAt(this.device);
    faults.offline = !this.online;
    if (!this.online) faults.cutSockets();
  }
  toString(): string {
    return `${this.online ? "online" : "offline"}(device ${this.device})`;
  }
}

/** The next push of a device is stored, but its answer never arrives. */
class LoseAnswer extends SimCommand {
  constructor(readonly device: number) {
    super();
  }
  protected async act(world: SimWorld): Promise<void> {
    world.deviceAt(this.device).faults.nextPushes.push("lost");
  }
  toString(): string {
    return `loseNextAnswer(device ${this.device})`;
  }
}

/** A device crashes and restarts on its store, perhaps having lost its Lamport counter. */
class Crash extends SimCommand {
  constructor(
    readonly device: number,
    readonly loseClock: boolean,
  ) {
    super();
  }
  protected async act(world: SimWorld): Promise<void> {
    await world.crash(world.deviceAt(this.device), this.loseClock);
  }
  toString(): string {
    return `crash(device ${this.device}${this.loseClock ? ", clock lost" : ""})`;
  }
}

/** The server restarts: hub and unflushed ACKs lost, store kept. */
class RestartServer extends SimCommand {
  protected async act(world: SimWorld): Promise<void> {
    await world.restartServer();
  }
  toString(): string {
    return "restartServer()";
  }
}

/**
 * Time jumps (0, 91 or 120 days, so tokens expire and devices that stay
 * offline fall stale), the devices online catch up and ACK, then compaction
 * runs: a stale device comes back to a 410 (R63).
 */
class Compact extends SimCommand {
  constructor(readonly days: number) {
    super();
  }
  protected async act(world: SimWorld): Promise<void> {
    if (this.days > 0) {
      await world.jump(this.days * DAY_MS);
      // The devices online catch up and ACK; those offline fall stale (R57) and meet a 410.
      await world.advance(3_000);
    }
    await world.compact();
  }
  toString(): string {
    return `compact(after ${this.days} days)`;
  }
}

/**
 * A device goes offline with an edit of its own, stays away past the stale
 * window while the others sync on and compaction runs, and comes back: its
 * cursor lies below the watermark now (410, R63), and its edit must survive.
 */
class StaleReturn extends SimCommand {
  constructor(readonly device: number) {
    super();
  }
  protected async act(world: SimWorld): Promise<void> {
    const away = world.deviceAt(this.device);
    away.faults.offline = true;
    away.faults.cutSockets();
    away.mutations.push(away.client.mutate((tx) => tx.upsert("note", "a", "color", this.device)));
    await world.jump(91 * DAY_MS);
    const other = world.devices.find((d) => d !== away && d.userId === away.userId);
    other?.mutations.push(other.client.mutate((tx) => tx.upsert("note", "b", "title", 9)));
    await world.advance(3_000);
    await world.compact();
    away.faults.offline = false;
  }
  toString(): string {
    return `staleReturn(device ${this.device})`;
  }
}

/** A new device joins and syncs from nothing (R23). */
class Join extends SimCommand {
  protected async act(world: SimWorld): Promise<void> {
    if (world.devices.length < 6) world.join();
  }
  toString(): string {
    return "join()";
  }
}

/** A device's next apply of server ops fails in the app's write and rolls back. */
class FailApply extends SimCommand {
  constructor(readonly device: number) {
    super();
  }
  protected async act(world: SimWorld): Promise<void> {
    world.deviceAt(this.device).failNextApply = true;
  }
  toString(): string {
    return `failNextApply(device ${this.device})`;
  }
}

const device = fc.nat({ max: 5 });

/** The events a schedule is made of, weighted so edits and time dominate. */
export const simCommands: fc.Arbitrary<SimCommand>[] = [
  fc
    .tuple(
      device,
      fc.constantFrom("a", "b", "c", POISON_ENTITY),
      fc.constantFrom("title", "color"),
      fc.option(fc.nat({ max: 9 }), { freq: 4 }),
    )
    .map(([d, entity, field, value]) => new Edit(d, entity, field, value)),
  fc
    .tuple(
      device,
      fc.constantFrom("a", "b", "c"),
      fc.constantFrom("title", "color"),
      fc.nat({ max: 9 }),
    )
    .map(([d, entity, field, value]) => new Edit(d, entity, field, value)),
  fc.constantFrom(10, 200, 1_000, 30_000).map((ms) => new Advance(ms)),
  fc.constantFrom(10, 200, 1_000).map((ms) => new Advance(ms)),
  fc.tuple(device, fc.boolean()).map(([d, online]) => new Network(d, online)),
  device.map((d) => new LoseAnswer(d)),
  fc.tuple(device, fc.boolean()).map(([d, loseClock]) => new Crash(d, loseClock)),
  fc.constant(new RestartServer()),
  fc.constantFrom(0, 91, 120).map((days) => new Compact(days)),
  fc.constant(new Join()),
  device.map((d) => new StaleReturn(d)),
  device.map((d) => new FailApply(d)),
];
