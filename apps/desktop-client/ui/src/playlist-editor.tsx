import { useEffect, useState } from "preact/hooks";
import { api, type Playlist } from "./api.js";

/**
 * One playlist: its name, its entries in order (reordered by drag and drop,
 * or from the keyboard with Alt+ArrowUp / Alt+ArrowDown on an entry's name, or its
 * Up and Down buttons), the form that adds a track, and Delete.
 */
export function PlaylistEditor(props: {
  playlist: Playlist;
  edit(run: () => Promise<unknown>): Promise<void>;
  onDeleted(): void;
}) {
  const { playlist, edit } = props;
  const [name, setName] = useState(playlist.name);
  const [track, setTrack] = useState("");
  const [dragged, setDragged] = useState<string | null>(null);
  useEffect(() => setName(playlist.name), [playlist.id, playlist.name]);

  const move = (entryId: string, index: number) => {
    if (index < 0 || index >= playlist.entries.length) return;
    edit(() => api.moveEntry(playlist.id, entryId, index)).then(() =>
      document.getElementById(`entry-${entryId}`)?.focus(),
    );
  };

  return (
    <section aria-labelledby="playlist-title">
      <h2 id="playlist-title">{playlist.name || "(untitled)"}</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (name.trim() && name !== playlist.name)
            edit(() => api.rename(playlist.id, name.trim()));
        }}
      >
        <label for="playlist-name">Name</label>
        <input id="playlist-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <button type="submit">Rename</button>
      </form>
      <ol class="entries" aria-label="Tracks">
        {playlist.entries.map((entry, index) => (
          <li
            key={entry.entryId}
            draggable
            class={dragged === entry.entryId ? "dragging" : undefined}
            onDragStart={(event) => {
              setDragged(entry.entryId);
              event.dataTransfer?.setData("text/plain", entry.entryId);
            }}
            onDragEnd={() => setDragged(null)}
            onDragOver={(event) => event.preventDefault()}
            onDrop={(event) => {
              event.preventDefault();
              const id = event.dataTransfer?.getData("text/plain") || dragged;
              setDragged(null);
              if (id && id !== entry.entryId) move(id, index);
            }}
          >
            <button
              type="button"
              class="track"
              id={`entry-${entry.entryId}`}
              aria-label={`${entry.track}, position ${index + 1} of ${playlist.entries.length}; Alt+Arrow keys move it`}
              onKeyDown={(event) => {
                if (!event.altKey) return;
                if (event.key === "ArrowUp") move(entry.entryId, index - 1);
                else if (event.key === "ArrowDown") move(entry.entryId, index + 1);
                else return;
                event.preventDefault();
              }}
            >
              {entry.track}
            </button>
            <span class="actions">
              <button
                type="button"
                aria-label={`Move ${entry.track} up`}
                disabled={index === 0}
                onClick={() => move(entry.entryId, index - 1)}
              >
                ↑
              </button>
              <button
                type="button"
                aria-label={`Move ${entry.track} down`}
                disabled={index === playlist.entries.length - 1}
                onClick={() => move(entry.entryId, index + 1)}
              >
                ↓
              </button>
              <button
                type="button"
                aria-label={`Remove ${entry.track}`}
                onClick={() => edit(() => api.removeEntry(playlist.id, entry.entryId))}
              >
                Remove
              </button>
            </span>
          </li>
        ))}
      </ol>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const trimmed = track.trim();
          if (!trimmed) return;
          edit(async () => {
            await api.addTrack(playlist.id, trimmed);
            setTrack("");
          });
        }}
      >
        <label for="new-track">Add track</label>
        <input id="new-track" value={track} onInput={(e) => setTrack(e.currentTarget.value)} />
        <button type="submit">Add</button>
      </form>
      <button
        type="button"
        class="danger"
        onClick={() => edit(() => api.remove(playlist.id)).then(props.onDeleted)}
      >
        Delete playlist
      </button>
    </section>
  );
}
