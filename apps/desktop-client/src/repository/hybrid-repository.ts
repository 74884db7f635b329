import type { PlaylistDevice } from "../store/playlist-device.js";
import { StoreRepository } from "./store-repository.js";

/**
 * Hybrid mode: the device file, synced. Each edit writes the mirror and
 * queues its ops in one transaction; the running `SyncClient` pushes the
 * queue and applies other devices' ops to the mirror (its `onApply`).
 */
export class HybridRepository extends StoreRepository {
  readonly mode = "hybrid" as const;

  /** Starts the device's sync client; the repository can be used at once (offline too). */
  static open(device: PlaylistDevice): HybridRepository {
    device.client.start();
    return new HybridRepository(device);
  }
}
