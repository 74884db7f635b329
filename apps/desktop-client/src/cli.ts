#!/usr/bin/env node
import { parseArgs } from "node:util";
import { runOpenCommand } from "./app/main.js";
import { type CliConfig, ConfigError, DEFAULT_FILE, DEFAULT_URL, loadConfig } from "./config.js";
import { DesktopBackend } from "./desktop-backend.js";
import { PlaylistEditError, type PlaylistView } from "./repository/playlist-repository.js";
import { PlaylistRepositoryHost } from "./repository/repository-host.js";

type Playlists = PlaylistRepositoryHost;

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

function formatPlaylist(playlist: PlaylistView): string {
  const tracks = playlist.entries.map((entry, i) => `\n  ${i + 1}. ${entry.track}`).join("");
  return `${playlist.name}  ${playlist.id}${tracks}`;
}

function formatList(playlists: readonly PlaylistView[]): string {
  return playlists.length === 0 ? "(no playlists)" : playlists.map(formatPlaylist).join("\n");
}

/**
 * Syncs once, best effort, then renders the output; tells on stderr what did
 * not reach the server: queued edits (exit 0: they sync on a later run), a
 * refused token or refused edits (exit 1).
 */
async function syncOnce(
  playlists: Playlists,
  render: () => string | Promise<string>,
): Promise<Outcome> {
  await playlists.syncNow();
  const output = await render();
  const { mode, state, pendingCount, refused, lastError } = playlists.status;
  if (state === "error") {
    process.stderr.write(`error: the server refused the token: ${lastError}\n`);
    return { output, code: 1 };
  }
  if (refused.length > 0) {
    const reasons = refused.map((edit) => edit.reason).join("; ");
    process.stderr.write(`error: the server refused ${refused.length} edit(s): ${reasons}\n`);
    return { output, code: 1 };
  }
  if (pendingCount > 0 && mode === "local") {
    process.stderr.write(
      `${pendingCount} edit(s) kept on this device (local mode); they sync once sync is on.\n`,
    );
  } else if (pendingCount > 0) {
    const reason = lastError === null ? "" : ` (${lastError})`;
    process.stderr.write(
      `${pendingCount} edit(s) queued: the server is not reachable${reason}; they will sync on a later run.\n`,
    );
  }
  return { output, code: 0 };
}

/** A one-shot edit: makes it, syncs, prints what `edit` returns. */
function edit(run: (playlists: Playlists, args: readonly string[]) => Promise<string>) {
  return async (playlists: Playlists, args: readonly string[]) => {
    const output = await run(playlists, args);
    return syncOnce(playlists, () => output);
  };
}

/** The playlist, or a `not_found` error. */
async function existing(playlists: Playlists, id: string): Promise<PlaylistView> {
  const playlist = await playlists.get(id);
  if (playlist === undefined) throw new PlaylistEditError("not_found", `no playlist with id ${id}`);
  return playlist;
}

/** Removes every entry of `track` (nothing is synced when there is none). */
async function removeTrack(playlists: Playlists, id: string, track: string): Promise<PlaylistView> {
  let playlist = await existing(playlists, id);
  for (const entry of playlist.entries) {
    if (entry.track === track) playlist = await playlists.removeEntry(id, entry.entryId);
  }
  return playlist;
}

/** A 1-based position as the list prints it. @throws UsageError */
function positionArg(text: string): number {
  const position = Number(text);
  if (!Number.isSafeInteger(position) || position < 1) {
    throw new UsageError(
      `FROM and TO are positions as \`list\` prints them (1, 2, …), got ${text}`,
    );
  }
  return position;
}

/** Moves the entry at position `from` (1-based) so it ends at position `to`. */
async function moveTrack(playlists: Playlists, id: string, from: string, to: string) {
  const [fromPosition, toPosition] = [positionArg(from), positionArg(to)];
  const entry = (await existing(playlists, id)).entries[fromPosition - 1];
  if (entry === undefined) {
    throw new PlaylistEditError("not_found", `playlist ${id} has no track at position ${from}`);
  }
  return playlists.moveEntry(id, entry.entryId, toPosition - 1);
}

/** Arguments the command cannot use; exits 2. */
class UsageError extends Error {}

/** Prints the list now and whenever it changes, until SIGINT. */
async function watch(playlists: Playlists): Promise<Outcome> {
  let last = "";
  const print = async () => {
    const text = formatList(await playlists.list());
    if (text === last) return;
    last = text;
    process.stdout.write(`${text}\n\n`);
  };
  await print();
  const unsubscribe = playlists.onChange(() => void print());
  await new Promise((resolve) => process.once("SIGINT", resolve));
  unsubscribe();
  return { output: "", code: 0 };
}

const COMMANDS: Record<string, Command> = {
  list: {
    usage: "list",
    summary: "sync, then print the playlists",
    run: (playlists) => syncOnce(playlists, async () => formatList(await playlists.list())),
  },
  create: {
    usage: "create NAME",
    summary: "create a playlist (prints it with its id)",
    run: edit(async (playlists, [name]) => formatPlaylist(await playlists.create(name!))),
  },
  rename: {
    usage: "rename ID NAME",
    summary: "rename a playlist",
    run: edit(async (playlists, [id, name]) => formatPlaylist(await playlists.rename(id!, name!))),
  },
  "add-track": {
    usage: "add-track ID TRACK",
    summary: "append a track",
    run: edit(async (playlists, [id, track]) =>
      formatPlaylist(await playlists.addTrack(id!, track!)),
    ),
  },
  "remove-track": {
    usage: "remove-track ID TRACK",
    summary: "remove a track (every occurrence)",
    run: edit(async (playlists, [id, track]) =>
      formatPlaylist(await removeTrack(playlists, id!, track!)),
    ),
  },
  "move-track": {
    usage: "move-track ID FROM TO",
    summary: "move the track at position FROM to position TO",
    run: edit(async (playlists, [id, from, to]) =>
      formatPlaylist(await moveTrack(playlists, id!, from!, to!)),
    ),
  },
  delete: {
    usage: "delete ID",
    summary: "delete a playlist",
    run: edit(async (playlists, [id]) => {
      await playlists.remove(id!);
      return `deleted ${id}`;
    }),
  },
  sync: {
    usage: "sync",
    summary: "push queued edits, pull the server's, print the sync status",
    run: (playlists) =>
      syncOnce(playlists, async () => {
        const { state, pendingCount } = playlists.status;
        const count = (await playlists.list()).length;
        return `${state}: ${count} playlist(s), ${pendingCount} edit(s) queued`;
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
  open [--data-dir DIR] [--no-window]
                         opens the app in its window (see 'open --help')
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
  // The window has its own options and lifetime (app/main.ts).
  if (argv[0] === "open") {
    const uiDir = process.env.SYNCLINE_PLAYLISTS_UI_DIR;
    return runOpenCommand(argv.slice(1), {
      createBackend: (dir) => DesktopBackend.open(dir),
      ...(uiDir ? { uiDir } : {}),
    });
  }
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
  const playlists = await PlaylistRepositoryHost.open(config);
  try {
    const { output, code } = await command.run(playlists, args);
    if (output !== "") process.stdout.write(`${output}\n`);
    return code;
  } catch (error) {
    if (error instanceof UsageError) return usageError(`error: ${error.message}`);
    if (!(error instanceof PlaylistEditError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    return 1;
  } finally {
    await playlists.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
