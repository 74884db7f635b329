#!/usr/bin/env node
import { parseArgs } from "node:util";
import { type CliConfig, ConfigError, DEFAULT_FILE, DEFAULT_URL, loadConfig } from "./config.js";
import {
  openPlaylists,
  type Playlist,
  PlaylistNotFoundError,
  type Playlists,
} from "./playlists.js";

/** What a command prints on stdout, and its exit code. */
interface Outcome {
  readonly output: string;
  readonly code: number;
}

interface Command {
  /** `name ARG…`: the arguments it takes, for the help and the arity check. */
  readonly usage: string;
  readonly summary: string;
  readonly run: (playlists: Playlists, args: readonly string[]) => Promise<Outcome>;
}

function formatPlaylist(playlist: Playlist): string {
  const tracks = playlist.tracks.map((track, i) => `\n  ${i + 1}. ${track}`).join("");
  return `${playlist.name}  ${playlist.id}${tracks}`;
}

function formatList(playlists: readonly Playlist[]): string {
  return playlists.length === 0 ? "(no playlists)" : playlists.map(formatPlaylist).join("\n");
}

/**
 * Syncs once, best effort, then renders the output; tells on stderr what did
 * not reach the server: queued edits (exit 0: they sync on a later run), a
 * refused token or refused edits (exit 1).
 */
async function syncOnce(playlists: Playlists, render: () => string): Promise<Outcome> {
  await playlists.syncNow();
  const output = render();
  const { state, pendingCount, failedOps, lastError } = playlists.status;
  if (state === "error") {
    process.stderr.write(`error: the server refused the token: ${lastError?.message}\n`);
    return { output, code: 1 };
  }
  if (failedOps.length > 0) {
    const reasons = failedOps.map((failed) => failed.error.message).join("; ");
    process.stderr.write(`error: the server refused ${failedOps.length} edit(s): ${reasons}\n`);
    return { output, code: 1 };
  }
  if (pendingCount > 0) {
    const reason = lastError === null ? "" : ` (${lastError.message})`;
    process.stderr.write(
      `${pendingCount} edit(s) queued: the server is not reachable${reason}; they will sync on a later run.\n`,
    );
  }
  return { output, code: 0 };
}

/** A one-shot edit: makes it, syncs, prints what `edit` returns. */
function edit(run: (playlists: Playlists, args: readonly string[]) => string) {
  return (playlists: Playlists, args: readonly string[]) => {
    const output = run(playlists, args);
    return syncOnce(playlists, () => output);
  };
}

/** Prints the list now and whenever it changes, until SIGINT. */
async function watch(playlists: Playlists): Promise<Outcome> {
  let last = "";
  const print = (list: readonly Playlist[]) => {
    const text = formatList(list);
    if (text === last) return;
    last = text;
    process.stdout.write(`${text}\n\n`);
  };
  print(playlists.list());
  const unsubscribe = playlists.onChange(print);
  await new Promise((resolve) => process.once("SIGINT", resolve));
  unsubscribe();
  return { output: "", code: 0 };
}

const COMMANDS: Record<string, Command> = {
  list: {
    usage: "list",
    summary: "sync, then print the playlists",
    run: (playlists) => syncOnce(playlists, () => formatList(playlists.list())),
  },
  create: {
    usage: "create NAME",
    summary: "create a playlist (prints it with its id)",
    run: edit((playlists, [name]) => formatPlaylist(playlists.create(name!))),
  },
  rename: {
    usage: "rename ID NAME",
    summary: "rename a playlist",
    run: edit((playlists, [id, name]) => formatPlaylist(playlists.rename(id!, name!))),
  },
  "add-track": {
    usage: "add-track ID TRACK",
    summary: "append a track",
    run: edit((playlists, [id, track]) => formatPlaylist(playlists.addTrack(id!, track!))),
  },
  "remove-track": {
    usage: "remove-track ID TRACK",
    summary: "remove a track",
    run: edit((playlists, [id, track]) => formatPlaylist(playlists.removeTrack(id!, track!))),
  },
  delete: {
    usage: "delete ID",
    summary: "delete a playlist",
    run: edit((playlists, [id]) => {
      playlists.remove(id!);
      return `deleted ${id}`;
    }),
  },
  sync: {
    usage: "sync",
    summary: "push queued edits, pull the server's, print the sync status",
    run: (playlists) =>
      syncOnce(playlists, () => {
        const { state, pendingCount } = playlists.status;
        return `${state}: ${playlists.list().length} playlist(s), ${pendingCount} edit(s) queued`;
      }),
  },
  watch: {
    usage: "watch",
    summary: "stay connected; print the playlists whenever they change (Ctrl-C quits)",
    run: watch,
  },
};

const HELP = `Usage: syncline-playlists <command> [arguments]

A local-first playlist app: your playlists live in a SQLite file and sync
through a Syncline server. Edits work offline; they sync on a later run.

Commands:
${Object.values(COMMANDS)
  .map((command) => `  ${command.usage.padEnd(22)} ${command.summary}`)
  .join("\n")}

Environment:
  SYNCLINE_TOKEN           required: a token the server accepts
                           (e.g. syncline-server token --user <uuid> --ttl 30d)
  SYNCLINE_URL             the server (default ${DEFAULT_URL})
  SYNCLINE_PLAYLISTS_FILE  this device's SQLite file (default ${DEFAULT_FILE})

Exit codes: 0 done (edits may be queued), 1 failed, 2 usage or configuration error.`;

function usageError(message: string): number {
  process.stderr.write(`${message}\nRun 'syncline-playlists --help' for usage.\n`);
  return 2;
}

async function main(argv: string[]): Promise<number> {
  const parsed = (() => {
    try {
      return parseArgs({
        args: argv,
        options: { help: { type: "boolean", short: "h" } },
        allowPositionals: true,
      });
    } catch (error) {
      return error as Error;
    }
  })();
  if (parsed instanceof Error) return usageError(parsed.message);
  if (parsed.values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [name, ...args] = parsed.positionals;
  if (name === undefined) return usageError("A command is required.");
  const command = COMMANDS[name];
  if (command === undefined) return usageError(`Unknown command: ${name}`);
  if (args.length !== command.usage.split(" ").length - 1) {
    return usageError(`Usage: syncline-playlists ${command.usage}`);
  }
  let config: CliConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) return usageError(`error: ${error.message}`);
    throw error;
  }
  const playlists = openPlaylists(config);
  try {
    const { output, code } = await command.run(playlists, args);
    if (output !== "") process.stdout.write(`${output}\n`);
    return code;
  } catch (error) {
    if (!(error instanceof PlaylistNotFoundError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    return 1;
  } finally {
    await playlists.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
