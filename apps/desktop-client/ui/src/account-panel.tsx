import { useState } from "preact/hooks";
import { type Account, api } from "./api.js";

const KEPT: Record<Account["kept"], string> = {
  keyring: "Your sign-in is kept in the system keyring.",
  memory: "You stay signed in only while the app runs.",
  file: "Your sign-in is kept in a file in the app's data folder (less safe than a keyring).",
};

/**
 * Settings → Account: "Sign in" opens the server's sign-in page in the
 * browser and waits for it; signed in, the account's email and "Sign out";
 * a session the server no longer accepts asks to sign in again.
 */
export function AccountPanel(props: {
  account: Account;
  edit(run: () => Promise<unknown>): Promise<void>;
}) {
  const { account, edit } = props;
  const [serverUrl, setServerUrl] = useState(account.serverUrl ?? "");
  const [browserUrl, setBrowserUrl] = useState<string | null>(null);
  const signIn = () =>
    edit(async () => {
      const started = await api.signIn(serverUrl);
      setBrowserUrl(started.browserUrl);
    });
  return (
    <section aria-labelledby="account-title" class="account">
      <h3 id="account-title">Account</h3>
      {account.state === "signed-in" && (
        <>
          <p data-testid="account-email">
            Signed in as <strong>{account.email}</strong>
          </p>
          <button type="button" onClick={() => edit(api.signOut)}>
            Sign out
          </button>
        </>
      )}
      {account.state === "expired" && (
        <p role="alert" class="error">
          The server no longer accepts this sign-in ({account.email}).{" "}
          <button type="button" onClick={signIn}>
            Sign in again
          </button>
        </p>
      )}
      {account.state === "waiting" && (
        <p role="status" data-testid="account-waiting">
          Waiting for the browser… Finish signing in there.
          {browserUrl && (
            <>
              {" "}
              If no browser opened,{" "}
              <a href={browserUrl} target="_blank" rel="noreferrer">
                open the sign-in page
              </a>
              .
            </>
          )}
        </p>
      )}
      {(account.state === "signed-out" || account.state === "waiting") && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void signIn();
          }}
        >
          <label for="account-server">Server</label>
          <input
            id="account-server"
            type="url"
            required
            placeholder="https://sync.example.com"
            value={serverUrl}
            onInput={(e) => setServerUrl(e.currentTarget.value)}
          />
          <button type="submit">Sign in</button>
        </form>
      )}
      {account.keyringProblem ? (
        <>
          <p class="hint">{account.keyringProblem}</p>
          <label class="hint">
            <input
              type="checkbox"
              checked={account.keepInFile}
              onChange={(e) => edit(() => api.keepInFile(e.currentTarget.checked))}
            />{" "}
            Keep me signed in with a file in the app's data folder (readable only by you, but less
            safe than a keyring)
          </label>
        </>
      ) : (
        <p class="hint">{KEPT[account.kept]}</p>
      )}
    </section>
  );
}
