import { expect, it } from "vitest";
import {
  parsePostmasterPid,
  postgresDataDirectoryArgument,
  processState,
} from "./postmaster-lock.js";

it("reads the pid (line 1) and the port (line 4) of a postmaster.pid, and nothing from a torn one", () => {
  const text =
    "4242\n/d/pgdata\n1764645000\n35311\n/tmp\n127.0.0.1\n  2154994    131115\nready   \n";
  expect(parsePostmasterPid(text)).toEqual({ pid: 4242, port: 35311 });
  expect(parsePostmasterPid("4242\n/d/pgdata\n")).toBeUndefined();
  expect(parsePostmasterPid("")).toBeUndefined();
});

it("reads a process's state from /proc/<pid>/stat, whose command may hold spaces and parentheses", () => {
  expect(processState("9376 (sleep) Z 9374 9372 5039 0 -1")).toBe("Z");
  expect(processState("12 (a) b (c)) S 1 12 12 0 -1")).toBe("S");
});

it("finds the -D directory of a postgres server in /proc/<pid>/cmdline, and none for other programs", () => {
  const argv = (...args: string[]) => `${args.join("\0")}\0`;
  expect(
    postgresDataDirectoryArgument(argv("/x/bin/postgres", "-D", "/d/pgdata", "-p", "5432")),
  ).toBe("/d/pgdata");
  expect(postgresDataDirectoryArgument(argv("sleep", "30"))).toBeUndefined();
  expect(postgresDataDirectoryArgument(argv("postgres: checkpointer "))).toBeUndefined();
  expect(postgresDataDirectoryArgument("")).toBeUndefined(); // a zombie's
});
