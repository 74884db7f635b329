/** Where the CLI keeps its playlists and which server it syncs with. */
export interface CliConfig {
  /** `SYNCLINE_URL`. */
  readonly url: string;
  /** `SYNCLINE_TOKEN`. */
  readonly token: string;
  /** `SYNCLINE_PLAYLISTS_FILE`. */
  readonly file: string;
}

/** The server the CLI syncs with when `SYNCLINE_URL` is unset. */
export const DEFAULT_URL = "http://127.0.0.1:8787";

/** The SQLite file the CLI uses when `SYNCLINE_PLAYLISTS_FILE` is unset. */
export const DEFAULT_FILE = "./playlists.db";

/** A missing or invalid environment variable; the message names it. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  /** Discriminant for callers that switch on errors. */
  readonly type = "invalid_config";
  /** The variable at fault. */
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(`${variable} ${message}`);
    this.variable = variable;
  }
}

/**
 * Reads the CLI's configuration from the environment.
 * @throws ConfigError when `SYNCLINE_TOKEN` is missing or empty, or `SYNCLINE_URL` is not an http(s) URL
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): CliConfig {
  const token = env.SYNCLINE_TOKEN?.trim();
  if (!token) {
    throw new ConfigError(
      "SYNCLINE_TOKEN",
      "is required: a token the server accepts, e.g. from `syncline-server token --user <uuid>`",
    );
  }
  const url = env.SYNCLINE_URL || DEFAULT_URL;
  if (!/^https?:\/\//.test(url) || !URL.canParse(url)) {
    throw new ConfigError("SYNCLINE_URL", `must be an http(s) URL, got ${JSON.stringify(url)}`);
  }
  return { url, token, file: env.SYNCLINE_PLAYLISTS_FILE || DEFAULT_FILE };
}
