import { useCallback, useEffect, useState } from "preact/hooks";
import { api, onEvents, type Playlist, type Status } from "./api.js";
import { PlaylistEditor } from "./playlist-editor.js";
import { PlaylistList } from "./playlist-list.js";
import { SettingsPanel } from "./settings-panel.js";
import { StatusPanel } from "./status-panel.js";

/** The window: playlists on the left, the selected one in the middle, settings and sync status on the right. */
export function App() {
  const [playlists, setPlaylists] = useState<Playlist[]>([]);
  const [status, setStatus] = useState<Status | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reloadPlaylists = useCallback(() => {
    api.playlists().then(setPlaylists, (e: Error) => setError(e.message));
  }, []);
  const reloadStatus = useCallback(() => {
    api.status().then(setStatus, (e: Error) => setError(e.message));
  }, []);
  useEffect(() => {
    reloadPlaylists();
    reloadStatus();
    return onEvents({ playlists: reloadPlaylists, status: reloadStatus });
  }, [reloadPlaylists, reloadStatus]);

  /** Runs an edit; its failure shows as an alert, and the lists are read again either way. */
  const edit = useCallback(
    async (run: () => Promise<unknown>) => {
      setError(null);
      try {
        await run();
      } catch (e) {
        setError((e as Error).message);
      }
      reloadPlaylists();
      reloadStatus();
    },
    [reloadPlaylists, reloadStatus],
  );

  const current = playlists.find((p) => p.id === selected) ?? null;
  return (
    <div class="layout">
      <header>
        <h1>Syncline Playlists</h1>
        {error && (
          <p role="alert" class="error">
            {error}{" "}
            <button type="button" onClick={() => setError(null)}>
              Dismiss
            </button>
          </p>
        )}
      </header>
      <nav aria-label="Playlists">
        <PlaylistList
          playlists={playlists}
          selected={selected}
          onSelect={setSelected}
          edit={edit}
        />
      </nav>
      <main>
        {current ? (
          <PlaylistEditor playlist={current} edit={edit} onDeleted={() => setSelected(null)} />
        ) : (
          <p class="hint">Select or create a playlist.</p>
        )}
      </main>
      <aside>
        <StatusPanel status={status} edit={edit} />
        <SettingsPanel status={status} edit={edit} />
      </aside>
    </div>
  );
}
