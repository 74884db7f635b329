import nodemailer from "nodemailer";
import type pino from "pino";

/** Sends the sign-in email. */
export interface MagicLinkMailer {
  /** Where links go: `smtp` (sent by email) or `log` (printed in the server's log). */
  readonly delivery: "smtp" | "log";
  /** Delivers the sign-in link `url` to `email`. */
  send(email: string, url: string, expiresInMinutes: number): Promise<void>;
}

/** The sign-in email's text: the link, how long it works, and what to do if it was not asked for. */
export function magicLinkEmail(url: string, expiresInMinutes: number) {
  return {
    subject: "Sign in to Syncline",
    text: [
      "Open this link to sign in to Syncline:",
      "",
      url,
      "",
      `It works once, for ${expiresInMinutes} minutes.`,
      "If you did not ask to sign in, ignore this email.",
    ].join("\n"),
  };
}

/**
 * Email over SMTP with nodemailer when `smtpUrl` is set (e.g.
 * `smtp://user:pass@mail.example.com:587`, `smtps://…`); otherwise the link is
 * printed in the server's log, so a newcomer on the zero-config default can
 * still sign in.
 */
export function createMagicLinkMailer(options: {
  readonly smtpUrl: string | undefined;
  readonly from: string;
  readonly logger: pino.Logger;
}): MagicLinkMailer {
  const { smtpUrl, from, logger } = options;
  if (!smtpUrl) {
    return {
      delivery: "log",
      async send(email, url) {
        logger.warn({ email, url }, "sign-in link (no SMTP configured: open it to sign in)");
      },
    };
  }
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    delivery: "smtp",
    async send(email, url, expiresInMinutes) {
      await transport.sendMail({ from, to: email, ...magicLinkEmail(url, expiresInMinutes) });
    },
  };
}
