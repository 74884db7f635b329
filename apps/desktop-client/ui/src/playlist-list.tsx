import { useState } from "preact/hooks";
import { api, type Playlist } from "./api.js";

/** The playlists, as a list of buttons, and the form that creates one. */
export function PlaylistList(props: {
  playlists: readonly Playlist[];
  selected: string | null;
  onSelect(id: string): void;
  edit(run: () => Promise<unknown>): Promise<void>;
}) {
  const [name, setName] = useState("");
  return (
    <section>
      <h2>Playlists</h2>
      <ul class="playlists">
        {props.playlists.map((p) => (
          <li key={p.id}>
            <button
              type="button"
              aria-current={p.id === props.selected ? "true" : undefined}
              onClick={() => props.onSelect(p.id)}
            >
              {p.name || "(untitled)"} <span class="count">{p.entries.length}</span>
            </button>
          </li>
        ))}
      </ul>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const trimmed = name.trim();
          if (!trimmed) return;
          props.edit(async () => {
            const created = await api.create(trimmed);
            setName("");
            props.onSelect(created.id);
          });
        }}
      >
        <label for="new-playlist">New playlist</label>
        <input id="new-playlist" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <button type="submit">Create</button>
      </form>
    </section>
  );
}
