import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { NativeAuthorization } from "./native-app.js";

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = `body{font-family:system-ui,sans-serif;color:#1d2433;background:#f6f7f9;margin:0}
main{max-width:26rem;margin:4rem auto;background:#fff;border:1px solid #d8dce3;border-radius:8px;padding:1.5rem}
h1{font-size:1.25rem;margin:0 0 1rem}label{display:block;margin-bottom:.25rem}
input[type=email]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}
button{margin-top:.75rem;padding:.5rem 1rem;font-size:1rem}.error{color:#b00020}`;

/** The page around every sign-in screen (no script: everything works without JavaScript). */
function page(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · Syncline</title><style>${STYLE}</style></head>
<body><main>${body}</main></body>
</html>`;
}

function hiddenFields(authorization: NativeAuthorization | undefined): Html {
  if (!authorization) return html``;
  return html`${Object.entries(authorization).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  )}`;
}

/** The email form; with a native app's authorization, the app's parameters ride along hidden. */
export function signInPage(options: {
  readonly authorization?: NativeAuthorization | undefined;
  readonly email?: string;
  readonly error?: string;
}): Html {
  const { authorization, email = "", error } = options;
  return page(
    "Sign in",
    html`<h1>Sign in to Syncline</h1>
${authorization ? html`<p>An app on this computer asks you to sign in.</p>` : ""}
<form method="post" action="/sign-in">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="email" required value="${email}"
${error ? html`aria-invalid="true" aria-describedby="email-error"` : ""}>
${error ? html`<p id="email-error" class="error" role="alert">${error}</p>` : ""}
${hiddenFields(authorization)}
<button type="submit">Email me a sign-in link</button>
</form>`,
  );
}

/** After the form: the link is on its way. */
export function checkInboxPage(email: string, expiresInMinutes: number): Html {
  return page(
    "Check your inbox",
    html`<h1>Check your inbox</h1>
<p role="status">We sent a sign-in link to <strong>${email}</strong>. It works once, for ${expiresInMinutes} minutes.</p>`,
  );
}

/** A sign-in that cannot go on, in words, with the way back when there is one. */
export function signInProblemPage(options: {
  readonly title: string;
  readonly message: string;
  readonly retryHref?: string;
}): Html {
  return page(
    options.title,
    html`<h1>${options.title}</h1>
<p class="error" role="alert">${options.message}</p>
${options.retryHref ? html`<p><a href="${options.retryHref}">Request a new sign-in link</a></p>` : ""}`,
  );
}

/** A browser sign-in (no app waiting) that worked. */
export function signedInPage(email: string): Html {
  return page(
    "Signed in",
    html`<h1>Signed in</h1><p role="status">You are signed in as <strong>${email}</strong>. You can close this window.</p>`,
  );
}
