import { randomUUID } from "node:crypto";
import { chmod, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { AsyncEntry, type EntryOptions } from "@napi-rs/keyring";
import { z } from "zod";

/** What a signed-in desktop app keeps: the long-lived, revocable session credential. */
export interface SessionCredential {
  /** The Syncline server that issued it. */
  readonly serverUrl: string;
  /** The secret: what asks the server for access tokens. */
  readonly sessionToken: string;
  /** The account's user id (a UUID). */
  readonly userId: string;
  /** The account's email address, shown in Settings → Account. */
  readonly email: string;
}

const SessionCredentialSchema = z.object({
  serverUrl: z.string().min(1),
  sessionToken: z.string().min(1),
  userId: z.uuid(),
  email: z.string().min(1),
});

/** Where a {@link CredentialStore} keeps the credential. */
export type CredentialStoreKind = "keyring" | "memory" | "file";

/** Keeps one session credential. */
export interface CredentialStore {
  /** Where it keeps it: `"memory"` forgets it when the app quits. */
  readonly kind: CredentialStoreKind;
  /** The credential kept, or null (none, or unreadable: an unreadable one is removed). */
  load(): Promise<SessionCredential | null>;
  /** Keeps `credential`, replacing any kept before. */
  save(credential: SessionCredential): Promise<void>;
  /** Forgets the credential (nothing kept is not an error). */
  remove(): Promise<void>;
}

/** Options of {@link openCredentialStore}. */
export interface OpenCredentialStoreOptions {
  /** The app data folder. */
  readonly dataDir: string;
  /** The user chose to keep the sign-in in a file when there is no keyring. */
  readonly allowFileStore: boolean;
  /** The keyring's service name. @default "Syncline Playlists" */
  readonly service?: string;
  /**
   * The keyring's account name. The default, `"session:" + the absolute
   * dataDir`, gives two instances with different data folders on one machine
   * a sign-in each.
   */
  readonly account?: string;
}

/** The store to use and, when the OS keyring cannot be used, why (in words for the user). */
export interface OpenedCredentialStore {
  readonly store: CredentialStore;
  /** Null when the OS keyring works, else a sentence saying why not and what that means. */
  readonly keyringProblem: string | null;
}

/** The file a file store keeps the credential in (mode 0600). */
export const SESSION_FILE = "session.json";

/**
 * On Linux, the Secret Service only: @napi-rs/keyring would otherwise fall
 * back to the kernel keyring, which forgets everything at reboot.
 */
const ENTRY_OPTIONS: EntryOptions = { linux: { store: "secret-service" } };

/** The credential in `text`, or null when it is not one. */
function parseCredential(text: string | null): SessionCredential | null {
  if (text === null) return null;
  try {
    const parsed = SessionCredentialSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The OS keyring (Secret Service, Keychain, Credential Manager) through @napi-rs/keyring. */
function keyringStore(entry: AsyncEntry): CredentialStore {
  return {
    kind: "keyring",
    async load() {
      const text = await entry.getPassword();
      const credential = parseCredential(text);
      if (text !== null && credential === null) await entry.deleteCredential();
      return credential;
    },
    save: (credential) => entry.setPassword(JSON.stringify(credential)),
    async remove() {
      await entry.deleteCredential();
    },
  };
}

/** Signed in for the running process only. */
function memoryStore(): CredentialStore {
  let kept: SessionCredential | null = null;
  return {
    kind: "memory",
    load: async () => kept,
    save: async (credential) => {
      kept = credential;
    },
    remove: async () => {
      kept = null;
    },
  };
}

/** `<dataDir>/session.json`, mode 0600, written aside and renamed into place. */
function fileStore(dataDir: string): CredentialStore {
  const file = join(dataDir, SESSION_FILE);
  return {
    kind: "file",
    async load() {
      const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return null;
        throw error;
      });
      const credential = parseCredential(text);
      if (text !== null && credential === null) await rm(file, { force: true });
      return credential;
    },
    async save(credential) {
      const draft = `${file}.${randomUUID()}.tmp`;
      await writeFile(draft, JSON.stringify(credential), { mode: 0o600, flag: "wx" });
      await chmod(draft, 0o600);
      await rename(draft, file);
    },
    remove: () => rm(file, { force: true }),
  };
}

/** Writes, reads back and deletes a throwaway entry; throws when the keyring cannot keep one. */
async function probeKeyring(service: string): Promise<void> {
  const probe = new AsyncEntry(service, `probe:${randomUUID()}`, ENTRY_OPTIONS);
  const marker = randomUUID();
  try {
    await probe.setPassword(marker);
    if ((await probe.getPassword()) !== marker) throw new Error("it did not keep what was written");
    await probe.deleteCredential();
  } catch (error) {
    await probe.deleteCredential().catch(() => false); // leave no probe behind
    throw error;
  }
}

/**
 * The credential store of the app in `dataDir`: the OS keyring when it
 * works (probed with a write, a read and a delete), under an account named
 * after the data folder so two instances never share a sign-in; else the
 * session only, or `session.json` (0600) when the user chose a file.
 */
export async function openCredentialStore(
  options: OpenCredentialStoreOptions,
): Promise<OpenedCredentialStore> {
  const service = options.service ?? "Syncline Playlists";
  const account = options.account ?? `session:${resolve(options.dataDir)}`;
  try {
    await probeKeyring(service);
    return {
      store: keyringStore(new AsyncEntry(service, account, ENTRY_OPTIONS)),
      keyringProblem: null,
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return options.allowFileStore
      ? {
          store: fileStore(options.dataDir),
          keyringProblem: `The system keyring is not available (${reason}): your sign-in is kept in ${SESSION_FILE} in the app's data folder, readable only by you but not encrypted.`,
        }
      : {
          store: memoryStore(),
          keyringProblem: `The system keyring is not available (${reason}): you stay signed in only while the app runs.`,
        };
  }
}
