import { useEffect, useState } from "preact/hooks";
import { AccountPanel } from "./account-panel.js";
import { api, type Mode, type Settings, type Status } from "./api.js";

const MODES: { mode: Mode; label: string; help: string }[] = [
  { mode: "local", label: "Local", help: "Only on this machine; nothing leaves it." },
  {
    mode: "hybrid",
    label: "Hybrid",
    help: "Local first; synced with the server when it is reachable.",
  },
  {
    mode: "server",
    label: "Server-connected",
    help: "Reads and writes go to the server; offline edits are refused.",
  },
];

/** Settings: the account, the server mode, and (without an account) a server URL and token. */
export function SettingsPanel(props: {
  status: Status | null;
  edit(run: () => Promise<unknown>): Promise<void>;
}) {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [serverUrl, setServerUrl] = useState("");
  const [token, setToken] = useState("");
  useEffect(() => {
    api.settings().then((loaded) => {
      setSettings(loaded);
      setServerUrl(loaded.serverUrl);
      setToken(loaded.token);
    });
  }, [props.status?.mode]);
  if (!settings) return null;
  return (
    <section aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      {props.status && <AccountPanel account={props.status.account} edit={props.edit} />}
      <fieldset>
        <legend>Server mode</legend>
        {MODES.map(({ mode, label, help }) => (
          <label key={mode} class="mode">
            <input
              type="radio"
              name="mode"
              value={mode}
              checked={settings.mode === mode}
              onChange={() => props.edit(async () => setSettings(await api.saveSettings({ mode })))}
            />
            {label}
            <small>{help}</small>
          </label>
        ))}
      </fieldset>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          props.edit(async () => setSettings(await api.saveSettings({ serverUrl, token })));
        }}
      >
        <label for="server-url">Server URL</label>
        <input
          id="server-url"
          type="url"
          value={serverUrl}
          onInput={(e) => setServerUrl(e.currentTarget.value)}
        />
        <label for="token">Token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
        <button type="submit">Save</button>
      </form>
    </section>
  );
}
