import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { materialize, reduceOps, type StoredOp, StoredOpSchema } from "@syncline/protocol";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  clientDir,
  eventually,
  openClient,
  removeClientFiles,
  userToken,
} from "./testing/clients.js";
import { useServerEnvironment } from "./testing/server-environment.js";
import type { ServerProcess } from "./testing/server-process.js";

// Convergence with the server in the loop: whatever two devices of one user do to the same
// fields at the same time, both end with the state the server's log reduces to.
const environment = useServerEnvironment({ SYNCLINE_ACK_FLUSH_MS: "200" });
let server: ServerProcess;
beforeAll(async () => {
  server = await environment.start();
});
afterAll(() => removeClientFiles());

const stepArb = fc.record({
  device: fc.constantFrom(0, 1),
  entity: fc.constantFrom("a", "b"),
  field: fc.constantFrom("title", "rating"),
  value: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constantFrom("x", "y"), fc.constant(null)),
  remove: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
  pauseMs: fc.constantFrom(0, 0, 0, 5, 20),
});

async function serverLog(token: string): Promise<StoredOp[]> {
  const ops: StoredOp[] = [];
  let since = 0;
  for (;;) {
    const response = await fetch(`${server.url}/sync/ops?since=${since}&resync=true`, {
      headers: { authorization: `Bearer ${token}`, "x-device-id": randomUUID() },
    });
    const page = (await response.json()) as { ops: unknown[]; has_more: boolean };
    ops.push(...page.ops.map((op) => StoredOpSchema.parse(op)));
    if (!page.has_more) return ops;
    since = ops.at(-1)!.id;
  }
}

it("two devices editing the same fields concurrently converge to the server's state", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 25 }), async (steps) => {
      const token = await userToken(environment.env, randomUUID());
      const dir = await clientDir();
      const devices = [
        openClient(join(dir, "0.db"), server.url, token),
        openClient(join(dir, "1.db"), server.url, token),
      ];
      try {
        for (const step of steps) {
          const { client } = devices[step.device]!;
          client.mutate((tx) =>
            step.remove
              ? tx.delete("playlist", step.entity)
              : tx.upsert("playlist", step.entity, step.field, step.value),
          );
          if (step.pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, step.pauseMs));
        }
        const settled = () =>
          devices.every(
            ({ client }) => client.status.pendingCount === 0 && client.status.state === "synced",
          );
        await eventually("both devices pushed everything", settled);
        const expected = materialize(reduceOps(await serverLog(token))).playlist ?? {};
        expect((await serverLog(token)).length).toBe(steps.length);
        await eventually(`both devices at ${JSON.stringify(expected)}`, () =>
          devices.every(
            ({ client }) =>
              JSON.stringify(sorted(client.list("playlist"))) === JSON.stringify(sorted(expected)),
          ),
        );
      } finally {
        for (const device of devices) await device.close();
      }
    }),
    { numRuns: 8 },
  );
});

function sorted(value: unknown): unknown {
  if (Array.isArray(value) || value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, item]) => [key, sorted(item)]),
  );
}
