import type { Context } from "hono";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { PlaylistEditError, type PlaylistView } from "../repository/playlist-repository.js";
import { type AppBackend, BackendRefusedError, type ConnectionChange } from "./backend.js";
import type { LiveEvents } from "./live-events.js";

/** The largest request body the API reads. */
export const MAX_BODY_BYTES = 64 * 1024;

/** An API error answer: `{ type, message }` with its HTTP status. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  /** The HTTP status to answer with. */
  readonly status: 400 | 404 | 409 | 413 | 415 | 422;
  /** The machine-readable reason. */
  readonly type: string;

  constructor(status: ApiError["status"], type: string, message: string) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

const EDIT_ERROR_STATUS = { not_found: 404, offline: 409, refused: 422 } as const;
const REFUSAL_STATUS = { invalid_settings: 422, offline: 409, unavailable: 409 } as const;

/** The error answer for `error`; anything unexpected is a 500 that says nothing about it. */
function errorAnswer(error: unknown): { status: number; type: string; message: string } {
  if (error instanceof ApiError) return error;
  if (error instanceof PlaylistEditError) {
    return { status: EDIT_ERROR_STATUS[error.type], type: error.type, message: error.message };
  }
  if (error instanceof BackendRefusedError) {
    return { status: REFUSAL_STATUS[error.type], type: error.type, message: error.message };
  }
  return { status: 500, type: "internal", message: "Something went wrong in the app." };
}

const name = z.string().trim().min(1).max(200);
const track = z.string().trim().min(1).max(500);
const index = z.number().int().min(0);

const NamedBody = z.strictObject({ name });
const KeepInFileBody = z.strictObject({ keep: z.boolean() });
const SignInBody = z.strictObject({
  serverUrl: z.url({ protocol: /^https?$/, error: "not an http(s) URL" }).max(2000),
});
const AddTrackBody = z.strictObject({ track, index: index.optional() });
const MoveBody = z.strictObject({ index });
const SettingsBody = z
  .strictObject({
    mode: z.enum(["local", "hybrid", "server"]).optional(),
    serverUrl: z
      .union([
        z.literal(""),
        z.url({ protocol: /^https?$/, error: "not an http(s) URL" }).max(2000),
      ])
      .optional(),
    token: z.string().trim().max(10_000).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, "Give at least one setting.");

/** Reads and validates a JSON body. */
async function readBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  if (!/^application\/json(;|$)/i.test(c.req.header("content-type") ?? "")) {
    throw new ApiError(415, "unsupported_media_type", "Send the body as application/json.");
  }
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    throw new ApiError(400, "invalid_request", "The body is not valid JSON.");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    throw new ApiError(400, "invalid_request", `${where}${issue?.message ?? "invalid body"}`);
  }
  return parsed.data;
}

/** What the API needs besides the backend. */
export interface ApiRoutesOptions {
  readonly backend: AppBackend;
  readonly events: LiveEvents;
  /** Who answers `GET /api/instance`: the lock's liveness probe checks it. */
  readonly instance: { readonly pid: number; readonly dataDir: string };
  /** Shows the app's window again (`POST /api/focus`, from a second start). */
  readonly focus: () => void;
  /** The app's loopback callback a sign-in's browser returns to (`http://127.0.0.1:PORT/auth/callback`). */
  readonly signInCallbackUrl: string;
  /** Opens a sign-in page in the system browser. */
  readonly openBrowser: (url: string) => void;
}

/**
 * The JSON API under `/api` (the request guard in front of it is the
 * caller's): playlists and their entries, settings and the mode switch, the
 * sync status and its actions, the live event stream, and the instance
 * routes a second start uses. Bodies are validated; every error answers
 * `{ type, message }`.
 */
export function apiRoutes(options: ApiRoutesOptions): Hono {
  const { backend, events } = options;
  const api = new Hono();
  const repository = () => backend.repository();
  let switchingTo: string | undefined;

  const playlist = async (id: string): Promise<PlaylistView> => {
    const found = await repository().get(id);
    if (found === undefined) throw new ApiError(404, "not_found", "There is no such playlist.");
    return found;
  };
  const atMost = (value: number, bound: number) => {
    if (value > bound) {
      throw new ApiError(422, "invalid_index", `The index must be at most ${bound}.`);
    }
  };

  api.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json({ type: "payload_too_large", message: "The body is too large." }, 413),
    }),
  );
  api.onError((error, c) => {
    const { status, type, message } = errorAnswer(error);
    if (status === 500) {
      process.stderr.write(`syncline-playlists: ${error instanceof Error ? error.stack : error}\n`);
    }
    return c.json({ type, message }, status as 400);
  });

  api.get("/playlists", async (c) => c.json(await repository().list()));
  api.post("/playlists", async (c) => {
    const body = await readBody(c, NamedBody);
    return c.json(await repository().create(body.name), 201);
  });
  api.get("/playlists/:id", async (c) => c.json(await playlist(c.req.param("id"))));
  api.patch("/playlists/:id", async (c) => {
    const body = await readBody(c, NamedBody);
    return c.json(await repository().rename(c.req.param("id"), body.name));
  });
  api.delete("/playlists/:id", async (c) => {
    await repository().remove(c.req.param("id"));
    return c.body(null, 204);
  });
  api.post("/playlists/:id/entries", async (c) => {
    const body = await readBody(c, AddTrackBody);
    const id = c.req.param("id");
    if (body.index !== undefined) atMost(body.index, (await playlist(id)).entries.length);
    return c.json(await repository().addTrack(id, body.track, body.index), 201);
  });
  api.delete("/playlists/:id/entries/:entryId", async (c) =>
    c.json(await repository().removeEntry(c.req.param("id"), c.req.param("entryId"))),
  );
  api.post("/playlists/:id/entries/:entryId/move", async (c) => {
    const body = await readBody(c, MoveBody);
    const id = c.req.param("id");
    const entryId = c.req.param("entryId");
    const { entries } = await playlist(id);
    if (!entries.some((entry) => entry.entryId === entryId)) {
      throw new ApiError(404, "not_found", "There is no such entry.");
    }
    atMost(body.index, entries.length - 1);
    return c.json(await repository().moveEntry(id, entryId, body.index));
  });

  api.get("/settings", (c) => c.json(backend.settings()));
  api.put("/settings", async (c) => {
    const body = await readBody(c, SettingsBody);
    if (switchingTo !== undefined) {
      throw new ApiError(409, "mode_switch_in_progress", `Switching to ${switchingTo} mode.`);
    }
    const change: { -readonly [K in keyof ConnectionChange]: ConnectionChange[K] } = {};
    if (body.serverUrl !== undefined) change.serverUrl = body.serverUrl;
    if (body.token !== undefined) change.token = body.token;
    if (Object.keys(change).length > 0) await backend.updateConnection(change);
    const to = body.mode;
    if (to !== undefined && to !== backend.settings().mode) {
      switchingTo = to;
      try {
        await backend.setMode(to, (progress) => events.mode({ phase: "progress", to, progress }));
      } catch (error) {
        events.mode({ phase: "failed", to, message: errorAnswer(error).message });
        throw error;
      } finally {
        switchingTo = undefined;
      }
      events.repositorySwitched();
      events.mode({ phase: "done", to });
    }
    return c.json(backend.settings());
  });

  api.get("/account", (c) => c.json(backend.account()));
  api.post("/account/sign-in", async (c) => {
    const { serverUrl } = await readBody(c, SignInBody);
    const browserUrl = await backend.beginSignIn(
      serverUrl.replace(/\/+$/, ""),
      options.signInCallbackUrl,
    );
    options.openBrowser(browserUrl);
    return c.json({ browserUrl, account: backend.account() });
  });
  api.post("/account/keep-in-file", async (c) => {
    const { keep } = await readBody(c, KeepInFileBody);
    await backend.keepSignInInFile(keep);
    return c.json(backend.account());
  });
  api.post("/account/sign-out", async (c) => {
    await backend.signOut();
    events.repositorySwitched();
    return c.json(backend.account());
  });

  api.get("/status", (c) => c.json(backend.status()));
  api.post("/sync-now", async (c) => {
    await backend.syncNow();
    return c.json(backend.status());
  });
  api.post("/resync", async (c) => {
    await backend.resync();
    return c.json(backend.status());
  });
  api.post("/failed/:operationId/dismiss", async (c) => {
    if (!(await backend.dismissFailed(c.req.param("operationId")))) {
      throw new ApiError(404, "not_found", "There is no such failed edit.");
    }
    return c.body(null, 204);
  });

  api.get("/events", (c) => events.stream(c));

  api.get("/instance", (c) => c.json({ app: "syncline-playlists", ...options.instance }));
  api.post("/focus", (c) => {
    options.focus();
    return c.body(null, 204);
  });
  api.all("*", (c) => c.json({ type: "not_found", message: "There is no such route." }, 404));
  return api;
}
