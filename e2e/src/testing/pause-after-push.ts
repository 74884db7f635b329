/**
 * Preloaded into a server process by crash.pg.test.ts (`--import`): every
 * push commits, is announced on stdout as a log line with the stored ids,
 * and then never answers, so the test can SIGKILL the server between the
 * commit and the response. Production code has no hook for it.
 */
import { PgSyncStore } from "@syncline/pg-store";

const pushWithHead = PgSyncStore.prototype.pushWithHead;
PgSyncStore.prototype.pushWithHead = async function pausedPush(this: PgSyncStore, ...args) {
  const { ops } = await pushWithHead.apply(this, args);
  const line = { msg: "test hook: push committed, pausing", ids: ops.map((op) => op.id) };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  return new Promise<never>(() => {});
};
