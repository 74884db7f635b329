export {
  type OpenPlaylistsOptions,
  openPlaylists,
  type Playlist,
  PlaylistNotFoundError,
  type Playlists,
} from "./playlists.js";
