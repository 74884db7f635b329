import { api, type Status } from "./api.js";

const STATE_WORDS: Record<Status["state"], string> = {
  offline: "Offline",
  connecting: "Connecting…",
  syncing: "Syncing…",
  synced: "Synced",
  error: "Error",
};

/** The sync status panel: state, edits waiting, last sync, last error, refused edits, actions. */
export function StatusPanel(props: {
  status: Status | null;
  edit(run: () => Promise<unknown>): Promise<void>;
}) {
  const { status, edit } = props;
  if (!status) return <section aria-label="Sync status">Loading…</section>;
  return (
    <section aria-labelledby="status-title">
      <h2 id="status-title">Sync status</h2>
      <dl class="status">
        <dt>State</dt>
        <dd data-testid="sync-state">
          {status.mode === "local" ? "Sync off (Local mode)" : STATE_WORDS[status.state]}
        </dd>
        <dt>Edits waiting</dt>
        <dd data-testid="pending">{status.pending}</dd>
        <dt>Last synced</dt>
        <dd>
          {status.lastSyncedAt ? new Date(status.lastSyncedAt).toLocaleTimeString() : "never"}
        </dd>
        {status.lastError && (
          <>
            <dt>Last error</dt>
            <dd class="error">{status.lastError}</dd>
          </>
        )}
      </dl>
      {status.progress !== null && (
        <div class="progress">
          <label for="sync-progress">{status.progress.step}</label>
          {/* Without a value the bar shows activity only: the end is not known. */}
          <progress
            id="sync-progress"
            max={1}
            {...(status.progress.fraction === null ? {} : { value: status.progress.fraction })}
          />
        </div>
      )}
      {status.notice && <p role="status">{status.notice}</p>}
      {status.refused.length > 0 && (
        <>
          <h3>Refused edits</h3>
          <ul class="refused">
            {status.refused.map((refused) => (
              <li key={refused.operationId}>
                {refused.reason}{" "}
                <button type="button" onClick={() => edit(() => api.dismiss(refused.operationId))}>
                  Dismiss
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      <div class="buttons">
        <button type="button" disabled={status.mode === "local"} onClick={() => edit(api.syncNow)}>
          Sync now
        </button>
        <button type="button" disabled={status.mode === "local"} onClick={() => edit(api.resync)}>
          Re-sync from server
        </button>
      </div>
    </section>
  );
}
