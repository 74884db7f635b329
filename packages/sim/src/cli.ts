#!/usr/bin/env node
import { parseArgs } from "node:util";
import { simulate } from "./run.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "200" },
    seed: { type: "string" },
    path: { type: "string" },
    replay: { type: "string" },
    trace: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(`Usage: pnpm sim [--runs N] [--seed S [--path P --replay R]] [--trace]

Runs N seeded fault schedules over the real client engine and server routes.
A failure prints the seed and path that replay it exactly, and the shrunk schedule.
  --runs N   schedules to run (default 200)
  --seed S   start from this seed (a failure prints it)
  --path P   with --seed: replay exactly that schedule (with --replay R, as printed)
  --trace    print every event of the schedules as they run`);
  process.exit(0);
}

const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
try {
  const report = await simulate({
    runs: Number(values.runs),
    seed,
    ...(values.path ? { path: values.path } : {}),
    ...(values.replay ? { replayPath: values.replay } : {}),
    ...(values.trace ? { trace: (line: string) => console.log(`  ${line}`) } : {}),
  });
  console.log(
    `${report.runs} schedules passed (seed ${seed}) in ${(report.ms / 1000).toFixed(1)} s: ${(report.runs / (report.ms / 1000)).toFixed(1)} schedules/s`,
  );
} catch (error) {
  const text = error instanceof Error ? error.message : String(error);
  console.error(text);
  if (error instanceof Error && error.cause) console.error("\nCause:", error.cause);
  const found = /seed: (-?\d+), path: "([^"]+)"/.exec(text);
  const replay = /replayPath="([^"]*)"/.exec(text);
  if (found) {
    const replayFlag = replay ? ` --replay ${replay[1]}` : "";
    console.error(`\nReplay: pnpm sim --seed ${found[1]} --path ${found[2]}${replayFlag} --trace`);
  }
  process.exit(1);
}
