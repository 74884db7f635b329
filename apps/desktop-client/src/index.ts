export { type DesktopApp, type DesktopAppOptions, startDesktopApp } from "./app/desktop-app.js";
export { SECRET_HEADER } from "./app/request-guard.js";
export { DesktopBackend } from "./desktop-backend.js";
export { HybridRepository } from "./repository/hybrid-repository.js";
export { LocalRepository } from "./repository/local-repository.js";
export {
  PlaylistEditError,
  type PlaylistEntry,
  type PlaylistRepository,
  type PlaylistView,
  type RepositoryMode,
} from "./repository/playlist-repository.js";
export {
  DEFAULT_MODE,
  type DrainProgress,
  PlaylistRepositoryHost,
  type RefusedEdit,
  type RepositoryHostOptions,
  RepositorySwitchError,
  type RepositorySyncStatus,
  type SwitchOptions,
  type SwitchReport,
} from "./repository/repository-host.js";
export { ServerRepository, type ServerRepositoryOptions } from "./repository/server-repository.js";
export {
  type OpenPlaylistDeviceOptions,
  openPlaylistDevice,
  type PlaylistDevice,
} from "./store/playlist-device.js";
