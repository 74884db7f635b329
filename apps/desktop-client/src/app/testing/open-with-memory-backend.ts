/**
 * `syncline-playlists open` on the in-memory backend, for the tests that
 * start it as a real child process (`node --import tsx …`). Each backend it
 * opens appends this process's pid to `<dataDir>/backend-opens.log`, so a
 * test can tell how many processes opened the data folder's backend.
 */
import { appendFileSync } from "node:fs";
import path from "node:path";
import { runOpenCommand } from "../main.js";
import { MemoryBackend } from "./memory-backend.js";

process.exitCode = await runOpenCommand(process.argv.slice(2), {
  createBackend: async (dataDir) => {
    appendFileSync(path.join(dataDir, "backend-opens.log"), `${process.pid}\n`);
    return new MemoryBackend();
  },
});
