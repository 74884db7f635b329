import { existsSync } from "node:fs";
import path from "node:path";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";

/** The page served when the UI folder is missing (the UI is not built). */
export const PLACEHOLDER_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Syncline Playlists</title></head>
<body>
<h1>Syncline Playlists</h1>
<p>The app is running, but its UI is not built: run <code>pnpm --filter @syncline/desktop-client build</code>.</p>
</body>
</html>
`;

/**
 * The UI's routes: the files of `uiDir` with their content types, and its
 * `index.html` for any other path without a file extension (the UI's own
 * routes). Paths with `..`, `\` or `%` never reach the file system. Without
 * `uiDir`, `/` answers {@link PLACEHOLDER_PAGE}.
 */
export function staticUi(uiDir: string): Hono {
  const ui = new Hono();
  if (!existsSync(uiDir)) {
    ui.get("/", (c) => c.html(PLACEHOLDER_PAGE));
    return ui;
  }
  ui.get("*", serveStatic({ root: uiDir }));
  const index = serveStatic({ root: uiDir, path: "index.html" });
  ui.get("*", (c, next) => (path.posix.extname(c.req.path) === "" ? index(c, next) : next()));
  return ui;
}
