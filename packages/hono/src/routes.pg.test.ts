import {
  ErrorBodySchema,
  encodeSnapshotCursor,
  MAX_BODY_BYTES,
  opsOfPushReceipt,
  PullResponseSchema,
  PushReceiptSchema,
  PushResponseSchema,
  SnapshotResponseSchema,
  type UpsertOp,
} from "@syncline/protocol";
import fc from "fast-check";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Authenticate } from "./auth.js";
import { createSyncRoutes } from "./create-sync-routes.js";
import { startSyncTestServer } from "./testing/sync-test-server.js";

let server: Awaited<ReturnType<typeof startSyncTestServer>>;
beforeAll(async () => {
  server = await startSyncTestServer();
});
afterAll(() => server.close());

/** Every error answer is a documented body (never a stack trace). */
function expectError(response: { status: number; body: unknown }, status: number, type: string) {
  expect(response.status).toBe(status);
  const body = ErrorBodySchema.parse(response.body);
  expect(body.type).toBe(type);
  expect(JSON.stringify(body)).not.toMatch(/\bat .+\.ts:\d+/);
  return body;
}

describe("POST /sync/ops (R12–R17)", () => {
  it("R13, R64: stores a batch and answers the stored rows in request order, with the version header", async () => {
    const a = await server.device();
    const ops = [a.op("p1", "title", "Road trip"), a.op("p1", "color", "red")];
    const response = await a.push(ops);
    expect(response.status).toBe(200);
    expect(response.headers.get("syncline-protocol-version")).toBe("1");
    const body = PushResponseSchema.parse(response.body);
    expect(body.ops.map((op) => op.operation_id)).toEqual(ops.map((op) => op.operation_id));
    expect(body.ops.every((op) => !op.duplicate && op.device_id === a.deviceId)).toBe(true);
    expect(body.ops[1]!.id).toBeGreaterThan(body.ops[0]!.id);
  });

  it("answers a retried batch with the rows stored the first time, marked duplicate (R14)", async () => {
    const a = await server.device();
    const ops = [a.op("p1", "title", "x")];
    const first = PushResponseSchema.parse((await a.push(ops)).body);
    const retried = PushResponseSchema.parse((await a.push([{ ...ops[0]!, lamport_ts: 7 }])).body);
    expect(retried.ops[0]).toEqual({ ...first.ops[0], duplicate: true });
  });

  it("R76: answers a push that asks for a receipt with the ids, the clock and the duplicates only", async () => {
    const a = await server.device();
    const first = [a.op("p1", "title", "x")];
    const stored = PushResponseSchema.parse((await a.push(first)).body).ops[0]!;
    const ops = [
      { ...first[0]!, lamport_ts: 50 },
      { ...a.op("p1", "color", "red"), lamport_ts: 51 },
    ];
    const response = await a.push(ops, "receipt");
    expect(response.status).toBe(200);
    const receipt = PushReceiptSchema.strict().parse(response.body);
    expect(receipt.duplicates).toEqual([
      { index: 0, lamport_ts: stored.lamport_ts, wall_clock: stored.wall_clock },
    ]);
    expect(receipt.ids[0]).toBe(stored.id);
    // The rows a plain push answers are the ones the receipt stands for.
    const asRows = PushResponseSchema.parse((await a.push(ops, "ops")).body).ops;
    expect(opsOfPushReceipt(ops, a.deviceId, receipt)).toEqual(
      asRows.map((op, index) => ({ ...op, duplicate: index === 0 })),
    );
    expect(JSON.stringify(response.body).length).toBeLessThan(JSON.stringify(asRows).length / 2);
  });

  it("R76: answers 422 for an answer it does not know", async () => {
    const a = await server.device();
    const response = await server.request("POST", "/sync/ops", {
      token: a.token,
      body: { ops: [a.op("p1", "title", "x")], answer: "rows" },
    });
    const body = expectError(response, 422, "invalid_request");
    expect(body.type === "invalid_request" && body.issues[0]?.path).toEqual(["answer"]);
  });

  it("answers 409 lamport_conflict with the device's stored max, storing nothing (R16)", async () => {
    const a = await server.device();
    await a.push([{ ...a.op("p1", "title", "x"), lamport_ts: 10 }]);
    const stale = { ...a.op("p1", "title", "y"), lamport_ts: 5 };
    const body = expectError(await a.push([stale]), 409, "lamport_conflict");
    expect(body).toMatchObject({ max_lamport_ts: 10, operation_id: stale.operation_id });
    const page = PullResponseSchema.parse((await a.pull()).body);
    expect(page.ops).toHaveLength(1);
  });

  it("answers 409 operation_id_reused when a known operation_id comes back changed (R15)", async () => {
    const a = await server.device();
    const op = a.op("p1", "title", "x");
    await a.push([op]);
    const body = expectError(
      await a.push([{ ...op, value: "changed", lamport_ts: 99 }]),
      409,
      "operation_id_reused",
    );
    expect(body).toMatchObject({ operation_id: op.operation_id });
  });

  it("answers 422 invalid_request naming each bad field", async () => {
    const a = await server.device();
    const bad = { ...a.op("p1", "title", "x"), lamport_ts: 0, entity_id: "" };
    const body = expectError(await a.push([bad]), 422, "invalid_request");
    expect(
      body.type === "invalid_request" && body.issues.map((issue) => issue.path.join(".")),
    ).toEqual(["ops.0.lamport_ts", "ops.0.entity_id"]);
  });

  it("answers 400 invalid_request for a body that is not JSON", async () => {
    const a = await server.device();
    const response = await server.request("POST", "/sync/ops", {
      token: a.token,
      rawBody: "{ops:",
    });
    expect(expectError(response, 400, "invalid_request").message).toBe(
      "request body is not valid JSON",
    );
  });

  it("answers 413 payload_too_large before parsing an oversized body (R10)", async () => {
    const a = await server.device();
    const response = await server.request("POST", "/sync/ops", {
      token: a.token,
      rawBody: `{"ops":[${"1,".repeat(MAX_BODY_BYTES / 2)}1]}`,
    });
    expect(expectError(response, 413, "payload_too_large")).toMatchObject({
      max_bytes: MAX_BODY_BYTES,
    });
  });

  /** POSTs `chunks` as a streamed body: chunked, with no Content-Length. */
  async function pushChunked(token: string, chunks: string[]) {
    const encoder = new TextEncoder();
    const response = await fetch(`${server.base}/sync/ops`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: new ReadableStream({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    return { status: response.status, body: await response.json() };
  }

  it("R10: counts a chunked body (no Content-Length) as it streams: 413 over the limit, stored within it", async () => {
    const a = await server.device();
    const head = async () => {
      const page = PullResponseSchema.parse((await a.pull("?limit=1")).body);
      if (page.head === undefined) throw new Error("the page carries no head (R75)");
      return page.head;
    };
    const before = await head();
    const op = a.op("p1", "title", "x".repeat(1000));
    const oversized = `{"ops":[${JSON.stringify(op)}],"padding":"${"y".repeat(MAX_BODY_BYTES)}"}`;
    const refused = await pushChunked(
      a.token,
      Array.from({ length: Math.ceil(oversized.length / 65536) }, (_, i) =>
        oversized.slice(i * 65536, (i + 1) * 65536),
      ),
    );
    expect(expectError(refused, 413, "payload_too_large")).toMatchObject({
      max_bytes: MAX_BODY_BYTES,
    });
    expect(await head()).toBe(before);

    const body = JSON.stringify({ ops: [op] });
    const stored = await pushChunked(a.token, [body.slice(0, 10), body.slice(10)]);
    expect(stored.status).toBe(200);
    expect(PushResponseSchema.parse(stored.body).ops[0]).toMatchObject({
      operation_id: op.operation_id,
      duplicate: false,
    });
    expect(await head()).toBeGreaterThan(before);
  });

  it("answers 400 for a protocol version it does not speak (R65)", async () => {
    const a = await server.device();
    const response = await server.request("GET", "/sync/ops", {
      token: a.token,
      headers: { "syncline-protocol-version": "2" },
    });
    expect(expectError(response, 400, "invalid_request").message).toContain(
      "protocol version 2 is not supported",
    );
    expect(response.headers.get("syncline-protocol-version")).toBe("1");
  });

  it("R11, R14, R76: answers any body with a push answer or a documented error, and stores nothing on an error (property)", async () => {
    const a = await server.device();
    const head = async () => PullResponseSchema.parse((await a.pull("?limit=1")).body).head;
    const anyOp = fc.record(
      {
        operation_id: fc.oneof(fc.uuid(), fc.string()),
        lamport_ts: fc.oneof(fc.integer({ min: -2, max: 2 ** 53 + 2 }), fc.double(), fc.string()),
        entity_type: fc.oneof(fc.constant("track"), fc.string(), fc.integer()),
        entity_id: fc.oneof(fc.constant("t1"), fc.string({ unit: "binary" })),
        op: fc.constantFrom("upsert", "delete", "merge"),
        field: fc.oneof(fc.constant("title"), fc.constant(null), fc.string()),
        value: fc.oneof(fc.jsonValue(), fc.string({ unit: "binary" })),
        extra: fc.anything(),
      },
      { requiredKeys: ["operation_id", "lamport_ts", "entity_type", "entity_id", "op"] },
    );
    const answer = fc.oneof(fc.constantFrom("ops", "receipt", "rows", ""), fc.jsonValue());
    const anyBody = fc.oneof(
      fc.record(
        { ops: fc.oneof(fc.array(anyOp, { maxLength: 4 }), fc.jsonValue()), answer },
        { requiredKeys: ["ops"] },
      ),
      fc.jsonValue(),
    );
    // The device's own next batch (or its last one again), maybe with one key of its first op changed.
    const deviceBatch = fc.record({
      count: fc.integer({ min: 1, max: 4 }),
      again: fc.boolean(),
      answer: fc.constantFrom(undefined, "ops", "receipt"),
      change: fc.option(
        fc.record({
          key: fc.constantFrom("operation_id", "lamport_ts", "entity_id", "op", "field", "value"),
          to: fc.jsonValue(),
        }),
        { nil: undefined },
      ),
    });
    type DeviceBatch = typeof deviceBatch extends fc.Arbitrary<infer T> ? T : never;
    let last: UpsertOp[] = [];
    const bodyText = (input: { text: string } | { value: unknown } | DeviceBatch): string => {
      if ("text" in input) return input.text;
      if ("value" in input) return JSON.stringify(input.value) ?? "null";
      const ops: Record<string, unknown>[] =
        input.again && last.length > 0
          ? last.map((op) => ({ ...op }))
          : Array.from({ length: input.count }, (_, i) => a.op(`p${i}`, "title", i));
      if (input.change) ops[0]![input.change.key] = input.change.to;
      return JSON.stringify({ ops, ...(input.answer ? { answer: input.answer } : {}) });
    };
    const input = fc.oneof(
      deviceBatch,
      anyBody.map((value) => ({ value })),
      fc.string({ unit: "binary" }).map((text) => ({ text })),
    );
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(input, async (generated) => {
        const text = bodyText(generated);
        const before = await head();
        const response = await server.request("POST", "/sync/ops", {
          token: a.token,
          rawBody: text,
        });
        statuses.add(response.status);
        expect([200, 400, 409, 413, 422]).toContain(response.status);
        if (response.status === 200) {
          const sent = JSON.parse(text) as { ops: UpsertOp[]; answer?: string };
          last = sent.ops;
          const rows =
            sent.answer === "receipt"
              ? opsOfPushReceipt(
                  sent.ops,
                  a.deviceId,
                  PushReceiptSchema.strict().parse(response.body),
                )
              : PushResponseSchema.parse(response.body).ops;
          expect(rows?.map((op) => op.operation_id)).toEqual(sent.ops.map((op) => op.operation_id));
          return;
        }
        const error = ErrorBodySchema.parse(response.body);
        expect(JSON.stringify(error)).not.toMatch(/\bat .+\.[jt]s:\d+/);
        expect(await head()).toBe(before);
      }),
      { numRuns: 200 },
    );
    // The inputs reached every outcome: stored, refused as malformed, and refused by a rule.
    expect([...statuses].sort()).toEqual([200, 400, 409, 422]);
  });
});

describe("GET /sync/ops (R20–R24, R75)", () => {
  it("pages through the log in ascending id with has_more and the head", async () => {
    const a = await server.device();
    await a.push(Array.from({ length: 5 }, (_, i) => a.op(`p${i}`, "title", i)));
    const first = PullResponseSchema.parse((await a.pull("?since=0&limit=3")).body);
    expect(first.ops).toHaveLength(3);
    expect(first.has_more).toBe(true);
    const second = PullResponseSchema.parse(
      (await a.pull(`?since=${first.ops[2]!.id}&limit=3`)).body,
    );
    expect(second.ops.map((op) => op.value)).toEqual([3, 4]);
    expect(second.has_more).toBe(false);
    expect(first.head).toBe(second.ops[1]!.id);
    expect(second.head).toBe(second.ops[1]!.id);
  });

  it.each(["?since=-1", "?since=abc", "?limit=0", "?limit=5001"])(
    "answers 400 for %s",
    async (query) => {
      const a = await server.device();
      expectError(await a.pull(query), 400, "invalid_request");
    },
  );

  it("answers 410 resync_required below the watermark, and always serves since=0 (R22, R23)", async () => {
    const a = await server.device();
    const pushed = PushResponseSchema.parse(
      (await a.push([a.op("p1", "title", 1), a.op("p1", "title", 2), a.op("p1", "title", 3)])).body,
    );
    const head = pushed.ops[2]!.id;
    await server.store.ack(a.userId, a.deviceId, head);
    await server.store.compact({ userIds: [a.userId] });
    const gone = expectError(await a.pull(`?since=${pushed.ops[0]!.id}`), 410, "resync_required");
    expect(gone).toMatchObject({ compacted_up_to: head });
    const full = PullResponseSchema.parse((await a.pull("?since=0")).body);
    // Ops below the watermark collapsed to their winner; nothing at or above it went.
    expect(full.ops.map((op) => op.value)).not.toContain(1);
    expect(full.ops.at(-1)).toMatchObject({ id: head, value: 3 });
  });
});

describe("GET /sync/ops?resync=true (R22, R23)", () => {
  it("serves the later pages of a pull that began at 0, below the watermark", async () => {
    const a = await server.device();
    const pushed = PushResponseSchema.parse(
      (await a.push([a.op("p1", "t", 1), a.op("p2", "t", 2), a.op("p3", "t", 3)])).body,
    );
    await server.store.ack(a.userId, a.deviceId, pushed.ops[2]!.id);
    await server.store.compact({ userIds: [a.userId] });
    const first = PullResponseSchema.parse((await a.pull("?since=0&limit=1")).body);
    const since = first.ops[0]!.id;
    expectError(await a.pull(`?since=${since}&limit=1`), 410, "resync_required");
    const next = PullResponseSchema.parse(
      (await a.pull(`?since=${since}&limit=1&resync=true`)).body,
    );
    expect(next.ops.map((op) => op.value)).toEqual([2]);
  });
});

describe("GET /sync/snapshot (R72–R74)", () => {
  it("R72 (snapshot page): pages through the current state with next_cursor, one as_of", async () => {
    const a = await server.device();
    const pushed = PushResponseSchema.parse(
      (
        await a.push([
          a.op("p1", "title", "old"),
          a.op("p1", "title", "new"),
          a.op("p2", "title", "two"),
          a.op("p3", "title", "three"),
        ])
      ).body,
    );
    const first = SnapshotResponseSchema.parse((await a.snapshot("?limit=2")).body);
    expect(first.as_of).toBe(pushed.ops[3]!.id);
    expect(first.entities).toHaveLength(2);
    expect(first.next_cursor).not.toBeNull();
    await a.push([a.op("p4", "title", "after")]);
    const second = SnapshotResponseSchema.parse(
      (await a.snapshot(`?limit=2&cursor=${first.next_cursor}`)).body,
    );
    // The read keeps its as_of; the later p4 shows if its key comes after the cursor,
    // and the pull from as_of brings it anyway (R74).
    expect(second.as_of).toBe(first.as_of);
    expect(second.next_cursor).toBeNull();
    const fields = [...first.entities, ...second.entities].map((e) => ({
      entity_id: e.entity_id,
      ...e.fields[0],
    }));
    expect(fields.filter((f) => f.entity_id !== "p4")).toEqual(
      expect.arrayContaining([
        { entity_id: "p1", field: "title", value: "new", id: pushed.ops[1]!.id },
        { entity_id: "p2", field: "title", value: "two", id: pushed.ops[2]!.id },
        { entity_id: "p3", field: "title", value: "three", id: pushed.ops[3]!.id },
      ]),
    );
    expect(new Set(fields.map((f) => f.entity_id)).size).toBe(fields.length);
    expect(fields.length === 3 || fields.length === 4).toBe(true);
  });

  it.each([
    "?limit=0",
    "?limit=5001",
    "?limit=x",
    "?entity_type=",
    `?entity_type=${"t".repeat(65)}`,
    "?cursor=%%%",
    "?cursor=bm90LWEtY3Vyc29y",
    "?cursor=",
  ])("answers 400 invalid_request for %s", async (query) => {
    const a = await server.device();
    const body = expectError(await a.snapshot(query), 400, "invalid_request");
    expect(body).toMatchObject({ issues: [expect.objectContaining({ path: expect.any(Array) })] });
  });

  it("R73 (snapshot as_of): answers 422 for a cursor whose as_of is above the head", async () => {
    const a = await server.device();
    await a.push([a.op("p1", "title", 1)]);
    const cursor = encodeSnapshotCursor({
      asOf: Number.MAX_SAFE_INTEGER,
      entityType: "playlist",
      entityId: "p1",
      field: "a",
    });
    const body = expectError(await a.snapshot(`?cursor=${cursor}`), 422, "invalid_request");
    expect(body).toMatchObject({ issues: [{ path: ["cursor"] }] });
  });

  it("R8: answers 401 without a valid token", async () => {
    expectError(await server.request("GET", "/sync/snapshot"), 401, "unauthorized");
    expectError(
      await server.request("GET", "/sync/snapshot", { token: "not.a.jwt" }),
      401,
      "unauthorized",
    );
  });

  it("R9 (tenant isolation): shows only the caller's state", async () => {
    const alice = await server.device();
    const bob = await server.device();
    await alice.push([alice.op("secret", "title", "alice")]);
    const page = SnapshotResponseSchema.parse((await bob.snapshot()).body);
    expect(page).toEqual({ as_of: 0, entities: [], next_cursor: null });
  });

  it("answers any query string with 200, 400 or 422 and a documented body, never 500 (property)", async () => {
    const a = await server.device();
    await a.push([a.op("p1", "title", 1)]);
    const value = fc.oneof(
      fc.string(),
      fc.integer().map(String),
      fc.base64String(),
      fc.constantFrom("", "0", "5000", "%00", "%FF", "true"),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom("limit", "entity_type", "cursor", "since", "x"), value),
        async (params) => {
          const query = new URLSearchParams(params).toString();
          const response = await a.snapshot(`?${query}`);
          expect([200, 400, 422]).toContain(response.status);
          if (response.status === 200) SnapshotResponseSchema.parse(response.body);
          else ErrorBodySchema.parse(response.body);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("POST /sync/ack (R25–R27)", () => {
  it("records the cursor through the buffer, raising it only", async () => {
    const a = await server.device();
    const pushed = PushResponseSchema.parse(
      (await a.push([a.op("p1", "t", 1), a.op("p1", "t", 2)])).body,
    );
    const [low, high] = pushed.ops.map((op) => op.id) as [number, number];
    expect((await a.ack(high)).body).toEqual({ last_seen_id: high });
    expect((await a.ack(low)).body).toEqual({ last_seen_id: high });
    expect(server.acks.get(a.userId, a.deviceId)?.lastSeenId).toBe(high);
    await server.acks.flush();
    expect(await server.store.cursor(a.userId, a.deviceId)).toBe(high);
  });

  it("answers 422 for an id above the user's head", async () => {
    const a = await server.device();
    const body = expectError(await a.ack(1_000_000_000), 422, "invalid_request");
    expect(body.message).toContain("above the highest op id of this user (0)");
  });

  it("answers 422 for a malformed body", async () => {
    const a = await server.device();
    expectError(
      await server.request("POST", "/sync/ack", { token: a.token, body: { last_seen_id: -3 } }),
      422,
      "invalid_request",
    );
  });
});

describe("tenant isolation (R9)", () => {
  it("never shows, acks or compacts one user's ops for another", async () => {
    const alice = await server.device();
    const bob = await server.device();
    const pushed = PushResponseSchema.parse(
      (await alice.push([alice.op("secret", "title", "alice")])).body,
    );
    const aliceHead = pushed.ops[0]!.id;
    expect(PullResponseSchema.parse((await bob.pull()).body).ops).toEqual([]);
    // Bob cannot ack Alice's ids: his own log is empty.
    expectError(await bob.ack(aliceHead), 422, "invalid_request");
    // The same operation_id from Bob is a different op.
    const reused = PushResponseSchema.parse(
      (
        await bob.push([
          { ...bob.op("secret", "title", "bob"), operation_id: pushed.ops[0]!.operation_id },
        ])
      ).body,
    );
    expect(reused.ops[0]!.duplicate).toBe(false);
    expect(reused.ops[0]!.device_id).toBe(bob.deviceId);
  });
});

describe("unknown routes", () => {
  it("answers 404 not_found", async () => {
    const response = await server.request("GET", "/sync/nope");
    expectError(response, 404, "not_found");
  });
});

describe("mounting", () => {
  it("serves the routes under any prefix", async () => {
    const a = await server.device();
    const app = new Hono();
    const auth: Authenticate = async () => ({ userId: a.userId, deviceId: a.deviceId });
    app.route("/api/v1", createSyncRoutes({ store: server.store, auth }));
    const pushed = await app.request("/api/v1/sync/ops", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ops: [a.op("p", "t", "prefixed")] }),
    });
    expect(pushed.status).toBe(200);
    const page = PullResponseSchema.parse(await (await app.request("/api/v1/sync/ops")).json());
    expect(page.ops.map((op) => op.value)).toEqual(["prefixed"]);
    expect((await app.request("/sync/ops")).status).toBe(404);
  });
});
