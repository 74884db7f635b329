import type { SyncStore } from "@syncline/server-core";
import type { ManualScheduler } from "@syncline/testkit";
import fc from "fast-check";
import { simCommands } from "./commands.js";
import { checkFinalInvariants } from "./invariants.js";
import { SimWorld } from "./world.js";

/** Options of {@link simulate}. */
export interface SimulateOptions {
  /** Schedules to run. @default 100 */
  readonly runs?: number;
  /** The seed of the first schedule (fast-check's); a failure names the seed and path to replay. @default random */
  readonly seed?: number;
  /** Replays one schedule of the seed exactly (fast-check's counterexample path). */
  readonly path?: string;
  /** With `path`: the commands' replay path fast-check printed (`replayPath="…"`). */
  readonly replayPath?: string;
  /** Most events in one schedule. @default 40 */
  readonly maxEvents?: number;
  /** Prints each event as it runs. */
  readonly trace?: (line: string) => void;
  /** The op log of each world. @default a MemorySyncStore */
  readonly store?: (scheduler: ManualScheduler) => SyncStore;
}

/** What {@link simulate} ran. */
export interface SimulationReport {
  readonly runs: number;
  readonly ms: number;
}

/**
 * Runs seeded fault schedules over the real client engine and the real
 * routes: each schedule builds a world, plays its events (checking the step
 * invariants after each), heals the network and checks convergence and that
 * nothing was lost. A failure shrinks to a short schedule and throws with the
 * seed, the path and the schedule.
 */
export async function simulate(options: SimulateOptions = {}): Promise<SimulationReport> {
  const runs = options.runs ?? 100;
  const started = performance.now();
  await fc.assert(
    fc.asyncProperty(
      fc.commands(simCommands, {
        maxCommands: options.maxEvents ?? 40,
        ...(options.replayPath === undefined ? {} : { replayPath: options.replayPath }),
      }),
      async (commands) => {
        const world = SimWorld.create({
          ...(options.store ? { store: options.store } : {}),
          ...(options.trace ? { trace: options.trace } : {}),
        });
        try {
          await fc.asyncModelRun(() => ({ model: {}, real: world }), commands);
          await world.heal();
          await checkFinalInvariants(world);
        } finally {
          for (const device of world.devices) await device.client.stop();
        }
      },
    ),
    {
      numRuns: runs,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(options.path === undefined ? {} : { path: options.path }),
      endOnFailure: options.trace !== undefined,
    },
  );
  return { runs, ms: performance.now() - started };
}
