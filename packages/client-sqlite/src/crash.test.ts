import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Sqlite from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const child = join(packageDir, "src/testing/mutate-child.ts");
const dir = mkdtempSync(join(tmpdir(), "syncline-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the child, waits for it to mutate, SIGKILLs it `afterMs` later. */
async function runAndKill(path: string, afterMs: number): Promise<void> {
  const proc = spawn(process.execPath, ["--import", "tsx", child, path], {
    cwd: packageDir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  proc.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    proc.on("exit", (_code, signal) => resolve(signal)),
  );
  await new Promise<void>((resolve, reject) => {
    proc.stdout.on("data", (chunk: Buffer) => {
      if (String(chunk).includes("ready")) resolve();
    });
    proc.on("exit", () => reject(new Error(`child exited before it was ready: ${stderr}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  proc.kill("SIGKILL");
  expect(await exited).toBe("SIGKILL");
}

/** The app's table and the queue, as a fresh process finds them. */
function inspect(path: string) {
  const db = new Sqlite(path);
  try {
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    const notes = db.prepare("SELECT id, n FROM note ORDER BY n").all() as {
      id: string;
      n: number;
    }[];
    const queue = db
      .prepare("SELECT entity_id, field, value, lamport_ts FROM syncline_pending ORDER BY seq")
      .all() as { entity_id: string; field: string; value: string; lamport_ts: number }[];
    const lamport = db
      .prepare("SELECT value FROM syncline_setting WHERE key = 'lamport'")
      .pluck()
      .get();
    return { notes, queue, lamport: (lamport as number | undefined) ?? 0 };
  } finally {
    db.close();
  }
}

describe("crash between the app write and the enqueue", () => {
  it("cannot happen: after each SIGKILL the app table and the queue agree exactly", async () => {
    const path = join(dir, "crash.db");
    let previous = 0;
    const kills = 8;
    for (let round = 0; round < kills; round++) {
      await runAndKill(path, 20 + Math.floor(Math.random() * 200));
      const { notes, queue, lamport } = inspect(path);
      // Every note row has exactly its two queued ops, and every queued op its row.
      expect(queue).toEqual(
        notes.flatMap(({ id, n }) => [
          { entity_id: id, field: "n", value: String(n), lamport_ts: expect.any(Number) },
          {
            entity_id: id,
            field: "title",
            value: JSON.stringify(`title ${n}`),
            lamport_ts: expect.any(Number),
          },
        ]),
      );
      expect(notes.map((note) => note.n)).toEqual(notes.map((_, i) => i + 1));
      // Stamps strictly increase in queue order, and the stored clock is the last one.
      const stamps = queue.map((op) => op.lamport_ts);
      expect(stamps).toEqual(stamps.map((_, i) => i + 1));
      expect(lamport).toBe(stamps.length);
      expect(notes.length).toBeGreaterThanOrEqual(previous);
      previous = notes.length;
    }
    expect(previous).toBeGreaterThan(0);
  }, 60_000);
});
