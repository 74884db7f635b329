import path from "node:path";

/** The environment variable that overrides the app data folder (the `--data-dir` flag wins over it). */
export const DATA_DIR_VARIABLE = "SYNCLINE_PLAYLISTS_DATA_DIR";

/** What {@link appDataDir} decides from; all of it passed in, so the function is pure. */
export interface AppDataDirInput {
  /** `process.platform`. */
  readonly platform: NodeJS.Platform;
  /** The environment (`XDG_DATA_HOME`, `APPDATA`, {@link DATA_DIR_VARIABLE}). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The user's home folder (`os.homedir()`). */
  readonly homedir: string;
  /** The folder a relative override is resolved against (`process.cwd()`). */
  readonly cwd: string;
  /** The `--data-dir` flag, when given. */
  readonly dataDirFlag?: string | undefined;
}

/**
 * The folder that holds the app's data (the SQLite file, the instance lock,
 * the window's browser profile): the `--data-dir` flag, else
 * `SYNCLINE_PLAYLISTS_DATA_DIR`, else the platform's per-user data folder —
 * Linux and other Unixes `$XDG_DATA_HOME/syncline-playlists` (an absolute
 * `XDG_DATA_HOME` only, as the XDG spec says) or
 * `~/.local/share/syncline-playlists`; macOS
 * `~/Library/Application Support/Syncline Playlists`; Windows
 * `%APPDATA%\Syncline Playlists` (or `~\AppData\Roaming\…` without `APPDATA`).
 * An override is resolved against `cwd`.
 */
export function appDataDir(input: AppDataDirInput): string {
  const paths = input.platform === "win32" ? path.win32 : path.posix;
  const override = input.dataDirFlag || input.env[DATA_DIR_VARIABLE];
  if (override) return paths.resolve(input.cwd, override);
  switch (input.platform) {
    case "win32":
      return paths.join(
        input.env.APPDATA || paths.join(input.homedir, "AppData", "Roaming"),
        "Syncline Playlists",
      );
    case "darwin":
      return paths.join(input.homedir, "Library", "Application Support", "Syncline Playlists");
    default: {
      const xdg = input.env.XDG_DATA_HOME;
      const base =
        xdg && paths.isAbsolute(xdg) ? xdg : paths.join(input.homedir, ".local", "share");
      return paths.join(base, "syncline-playlists");
    }
  }
}
