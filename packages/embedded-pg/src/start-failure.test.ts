import { expect, it } from "vitest";
import { readStartFailure } from "./start-failure.js";

it("R71: sums up a failed start by PostgreSQL's FATAL and HINT messages, without their prefix", () => {
  const log = `2026-12-02 03:41:58.010 UTC [19230] LOG:  starting PostgreSQL 17
2026-12-02 03:41:58.014 UTC [19230] FATAL:  pre-existing shared memory block (key 2154994, ID 131115) is still in use
2026-12-02 03:41:58.014 UTC [19230] HINT:  Terminate any old server processes associated with data directory "/d".
`;
  expect(readStartFailure(log)).toEqual({
    leftoverProcesses: true,
    summary:
      'FATAL: pre-existing shared memory block (key 2154994, ID 131115) is still in use HINT: Terminate any old server processes associated with data directory "/d".',
  });
});

it("tells a start refused for another reason from leftover processes, and falls back to the last lines", () => {
  expect(readStartFailure("a\nb\nc\nd\ne\nf\n")).toEqual({
    leftoverProcesses: false,
    summary: "b c d e f",
  });
  expect(readStartFailure("").summary).toBe("(no log output)");
});
