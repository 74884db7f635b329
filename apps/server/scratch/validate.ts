import { PushRequestSchema } from "@syncline/protocol";
import { upserts } from "../bench/measure.js";
const bodies = Array.from({ length: 50 }, () => JSON.stringify({ ops: upserts(500) }));
for (let r = 0; r < 3; r++) {
  let t = performance.now();
  for (const b of bodies) JSON.parse(b);
  const parse = (performance.now() - t) / bodies.length;
  const parsed = bodies.map((b) => JSON.parse(b));
  t = performance.now();
  for (const p of parsed) if (!PushRequestSchema.safeParse(p).success) throw new Error("bad");
  const zod = (performance.now() - t) / bodies.length;
  t = performance.now();
  for (const p of parsed) JSON.stringify(p.ops);
  const str = (performance.now() - t) / bodies.length;
  console.log(`per 500-op batch: JSON.parse ${parse.toFixed(2)} ms, zod ${zod.toFixed(2)} ms, stringify ${str.toFixed(2)} ms`);
}
