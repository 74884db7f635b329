/**
 * Run under a real Secret Service (see credential-store.keyring.test.ts):
 * saves a credential through one store, reads it through another, checks no
 * file holds the token, removes it, and prints one JSON line of results.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openCredentialStore } from "../credential-store.js";

const dataDir = await mkdtemp(join(tmpdir(), "keyring-child-"));
const credential = {
  serverUrl: "http://127.0.0.1:8787",
  sessionToken: `token-${Date.now()}`,
  userId: "0192c1a0-7d90-7e4f-a061-3c4d5e6f7081",
  email: "ann@example.com",
};
const first = await openCredentialStore({ dataDir, allowFileStore: true });
await first.store.save(credential);
const second = await openCredentialStore({ dataDir, allowFileStore: true });
const loaded = await second.store.load();
const other = await openCredentialStore({ dataDir: `${dataDir}-other`, allowFileStore: true });
const otherLoaded = await other.store.load();
// An explicit account is shared by whoever names it, whatever the data folder.
const named = { allowFileStore: true, account: `named:${Date.now()}` };
await (await openCredentialStore({ ...named, dataDir })).store.save(credential);
const namedStore = (await openCredentialStore({ ...named, dataDir: `${dataDir}-other` })).store;
const namedShared = (await namedStore.load())?.sessionToken === credential.sessionToken;
await namedStore.remove();
let tokenInFiles = false;
for (const name of await readdir(dataDir)) {
  if ((await readFile(join(dataDir, name), "utf8")).includes(credential.sessionToken))
    tokenInFiles = true;
}
await second.store.remove();
const afterRemove = await (
  await openCredentialStore({ dataDir, allowFileStore: true })
).store.load();
await rm(dataDir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({
    kind: first.store.kind,
    problem: first.keyringProblem,
    roundTrip: JSON.stringify(loaded) === JSON.stringify(credential),
    otherInstanceSees: otherLoaded !== null,
    namedShared,
    tokenInFiles,
    afterRemove,
  })}\n`,
);
