import type { PushNotice } from "@syncline/server-core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PgNotifier, type PgNotifierOptions } from "./notifier.js";
import { pushInTransaction, serializeBatch } from "./push.js";
import { PUSH_CHANNEL } from "./push-notice.js";
import { PgSyncStore } from "./store.js";
import { openTestStore, type TestStore, upsert, uuid } from "./test-support.js";
import { inTransaction } from "./transaction.js";

let db: TestStore;
/** A second "server process": its own pool and store, listening. */
let other: PgSyncStore;
beforeAll(async () => {
  db = await openTestStore();
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  other = new PgSyncStore({ pool });
  afterAll(async () => {
    await other.close();
    await pool.end();
  });
});

/** Collects notices of one user; `next()` resolves with the next one. */
async function listen(store: PgSyncStore, userId: string) {
  const notices: PushNotice[] = [];
  const waiters: Array<(notice: PushNotice) => void> = [];
  const stop = await store.onPush((notice) => {
    if (notice.user_id !== userId) return;
    const waiter = waiters.shift();
    if (waiter) waiter(notice);
    else notices.push(notice);
  });
  return {
    stop,
    next: () =>
      new Promise<PushNotice>((resolve) => {
        const queued = notices.shift();
        if (queued) resolve(queued);
        else waiters.push(resolve);
      }),
    pending: () => notices.length,
  };
}

/**
 * A push by the same user that certainly notifies: once its notice arrives,
 * earlier ones did too.
 * @returns its notice
 */
async function barrier(
  user: string,
  listener: Awaited<ReturnType<typeof listen>>,
): Promise<PushNotice> {
  const [marker] = await db.store.push(user, uuid(), [upsert(1, "barrier", "x", 1)]);
  const notice = { user_id: user, max_id: marker!.id, origin: db.store.origin };
  expect(await listener.next()).toEqual(notice);
  return notice;
}

describe("push notifications", () => {
  // R19 (broadcast after commit)
  it("a listener in another process receives { user_id, max_id, origin } of a committed push", async () => {
    const user = uuid();
    const listener = await listen(other, user);
    try {
      const pushed = await db.store.push(
        user,
        uuid(),
        [1, 2, 3].map((ts) => upsert(ts, "p1", "title", ts)),
      );
      expect(await listener.next()).toEqual({
        user_id: user,
        max_id: pushed[2]!.id,
        origin: db.store.origin,
      });
      expect(other.origin).not.toBe(db.store.origin);
    } finally {
      await listener.stop();
    }
  });

  // R19 (broadcast after commit)
  it("is queued inside the push transaction and delivered at its commit, not before", async () => {
    const [user, device] = [uuid(), uuid()];
    const listener = await listen(other, user);
    try {
      // Inside an open push transaction: the NOTIFY is queued, not delivered.
      const client = await db.pool.connect();
      let stored: number | undefined;
      try {
        await inTransaction(client, async () => {
          const {
            ops: [op],
          } = await pushInTransaction(
            client,
            user,
            device,
            serializeBatch([upsert(5, "p1", "t", 1)]),
            db.store.origin,
          );
          stored = op!.id;
          await new Promise((resolve) => setTimeout(resolve, 100));
          expect(listener.pending()).toBe(0);
        });
      } finally {
        client.release();
      }
      expect(await listener.next()).toEqual({
        user_id: user,
        max_id: stored,
        origin: db.store.origin,
      });
    } finally {
      await listener.stop();
    }
  });

  it("ignores foreign payloads on the channel", async () => {
    const user = uuid();
    const seen: PushNotice[] = [];
    const stop = await other.onPush((notice) => seen.push(notice));
    const listener = await listen(other, user);
    try {
      await other.notifier.notify(PUSH_CHANNEL, "not json");
      await other.notifier.notify(PUSH_CHANNEL, JSON.stringify({ user_id: "x", max_id: -1 }));
      const marker = await barrier(user, listener);
      expect(seen).toEqual([marker]);
    } finally {
      await stop();
      await listener.stop();
    }
  });
});

describe("PgNotifier", () => {
  /** A notifier whose dedicated connection is recognisable in pg_stat_activity. */
  const named = (name: string, options: Partial<PgNotifierOptions> = {}) =>
    new PgNotifier({
      pool: db.pool,
      createClient: () => new pg.Client({ connectionString: db.url, application_name: name }),
      ...options,
    });

  it("carries several channels over one dedicated connection, closed by close()", async () => {
    const notifier = named("notifier-channels");
    try {
      const received: string[] = [];
      await notifier.subscribe("syncline_flush_acks", (payload) => received.push(payload));
      await notifier.subscribe(PUSH_CHANNEL, () => {});
      expect(await backends("notifier-channels")).toHaveLength(1);
      await notifier.notify("syncline_flush_acks", "flush");
      await waitUntil(async () => received.length === 1);
      expect(received).toEqual(["flush"]);
    } finally {
      await notifier.close();
    }
    await waitUntil(async () => (await backends("notifier-channels")).length === 0);
  });

  it("reconnects and listens again after its connection is killed", async () => {
    const errors: Error[] = [];
    let reconnects = 0;
    const notifier = named("notifier-reconnect", {
      reconnectDelayMs: 50,
      onError: (error) => errors.push(error),
      onReconnect: () => {
        reconnects++;
      },
    });
    try {
      const received: string[] = [];
      await notifier.subscribe("reconnect_test", (payload) => received.push(payload));
      const [pid] = await backends("notifier-reconnect");
      await db.pool.query("SELECT pg_terminate_backend($1)", [pid]);
      await waitUntil(async () => reconnects === 1);
      expect(errors.length).toBeGreaterThan(0);
      const [newPid] = await backends("notifier-reconnect");
      expect(newPid).not.toBe(pid);
      await notifier.notify("reconnect_test", "after");
      await waitUntil(async () => received.length === 1);
      expect(received).toEqual(["after"]);
    } finally {
      await notifier.close();
    }
  });
});

/** Backends of this database opened under `applicationName`. */
async function backends(applicationName: string): Promise<number[]> {
  const { rows } = await db.pool.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
    [applicationName],
  );
  return rows.map((row) => row.pid);
}

async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20));
}
