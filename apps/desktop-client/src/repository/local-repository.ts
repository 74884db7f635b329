import type { PlaylistDevice } from "../store/playlist-device.js";
import { StoreRepository } from "./store-repository.js";

/**
 * Local mode: the device file only, nothing leaves the machine. Edits are
 * recorded exactly as in Hybrid mode (mirror rows plus queued ops, one
 * transaction) but the sync client stays stopped, so the queue is what a
 * later switch to Hybrid uploads: once, since the server skips an
 * `operation_id` it already stored (R46), whether the switch was interrupted
 * or repeated.
 */
export class LocalRepository extends StoreRepository {
  readonly mode = "local" as const;

  /** Stops the device's sync client (if it ran) before the repository is used. */
  static async open(device: PlaylistDevice): Promise<LocalRepository> {
    await device.client.stop();
    return new LocalRepository(device);
  }
}
