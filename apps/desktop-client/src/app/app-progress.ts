import { type CatchUpProgress, catchUpFraction } from "@syncline/client";

/** Work under way that the status panel shows as a progress bar. */
export interface AppProgress {
  /** What runs, in words (e.g. "Uploading edits made on this device: 3 of 10"). */
  readonly step: string;
  /** The part done, 0..1, or null when the end is not known (the bar then shows activity only). */
  readonly fraction: number | null;
}

const COUNT = new Intl.NumberFormat("en-US");

/** A sync catch-up (a large pull, or a snapshot read) as the status panel words it. */
export function catchUpAppProgress(progress: CatchUpProgress): AppProgress {
  const fraction = catchUpFraction(progress);
  if (progress.phase === "snapshot") {
    return {
      step: `Loading the server's playlists: ${COUNT.format(progress.fieldsLoaded)} items so far`,
      fraction,
    };
  }
  return {
    step:
      fraction === null
        ? "Catching up with edits from other devices"
        : `Catching up with edits from other devices: ${Math.floor(fraction * 100)}%`,
    fraction,
  };
}
